// `pepr/src/lib/common-types`.

export type {
  AdmissionRequest,
  DeepPartial,
  GroupVersionResource,
  ValidateActionResponse,
} from "../model/index.ts";
