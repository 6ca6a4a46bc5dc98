export { ApiClient, type ApiClientOptions, type ApiRequest } from "./api-client.ts";
export {
  ApiError,
  type ApiStatus,
  apiErrorFor,
  ConflictError,
  ConnectionError,
  GoneError,
  InvalidError,
  isRetryable,
  NotFoundError,
  TooManyRequestsError,
} from "./errors.ts";
export {
  type GroupVersionKind,
  isKnownKind,
  type KindClass,
  type KubernetesObject,
  kindOf,
  RegisterKind,
  type ResolvedKind,
  resolveKind,
} from "./kinds.ts";
export * as models from "./models.ts";
export { GenericKind, Pod, Secret } from "./models.ts";
export { resourcePath } from "./paths.ts";
export { WatchPhase } from "./watch-phase.ts";
export { jsonLines, watchEvents } from "./watch-stream.ts";
