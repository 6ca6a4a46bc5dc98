// `pepr/src/lib/common-types`.

export type {
  AdmissionRequest,
  GroupVersionResource,
  ValidateActionResponse,
} from "../model/admission-request.ts";
export type { DeepPartial } from "../model/mutate-request.ts";
