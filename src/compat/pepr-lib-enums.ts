// `pepr/src/lib/enums`.

export { Event, Operation } from "../model/index.ts";
