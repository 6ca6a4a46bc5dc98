// Pepr's `sdk` helpers for module authors.
export { sanitizeResourceName } from "../model/index.ts";
export { type ContainerType, containers } from "./containers.ts";
export { getOwnerRefFrom } from "./owner-ref.ts";
export { setSdkClient, type WriteEventOptions, writeEvent } from "./write-event.ts";
