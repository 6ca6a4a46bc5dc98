// capstan's public API: Pepr's authoring surface plus capstan's own additions.

export { EventRecorder, type EventRecorderOptions } from "./controller/event-recorder.ts";
export { ExponentialBackoff, FixedInterval, NoRetry, type RetryPolicy } from "./controller/retry-policy.ts";
export type { ReconcileResult } from "./controller/work-queue.ts";
export * from "./k8s/errors.ts";
export {
  type FetchResponse,
  fetch,
  fetchStatus,
  K8s,
  type KubernetesListObject,
  type WatchCfg,
} from "./k8s/fluent/index.ts";
export { type GroupVersionKind, type KindClass, type KubernetesObject, RegisterKind } from "./k8s/kinds.ts";
export * as a from "./k8s/models.ts";
export * as kind from "./k8s/models.ts";
export { GenericKind } from "./k8s/models.ts";
export {
  type AdmissionRequest,
  type AdmissionResponse,
  type Binding,
  Capability,
  type CapabilityCfg,
  Event,
  type FinalizeAction,
  Module,
  type ModuleConfig,
  type MutateAction,
  Operation,
  type PackageJSON,
  PeprModule,
  type PeprModuleOptions,
  PeprMutateRequest,
  type PeprStore,
  PeprValidateRequest,
  type Schedule,
  type ValidateAction,
  type ValidateActionResponse,
  type WatchLogAction,
  WatchPhase,
} from "./model/index.ts";
export * as sdk from "./sdk/index.ts";
export { Log, type Logger } from "./telemetry/logger.ts";
