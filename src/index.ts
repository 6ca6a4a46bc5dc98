// capstan's public API: Pepr's authoring surface plus capstan's own additions.

export { EventRecorder, type EventRecorderOptions } from "./controller/event-recorder.ts";
export { ExponentialBackoff, FixedInterval, NoRetry, type RetryPolicy } from "./controller/retry-policy.ts";
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
export type { ReconcileResult } from "./model/binding.ts";
export {
  type AdmissionRequest,
  type AdmissionResponse,
  type Binding,
  Capability,
  type CapabilityCfg,
  type DeepPartial,
  Event,
  type Filters,
  type FinalizeAction,
  Module,
  type ModuleConfig,
  type MutateAction,
  type OnError,
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
export type {
  CatchUpPolicy,
  CronSchedule,
  IntervalSchedule,
  ScheduleDefinition,
  ScheduleUnit,
} from "./model/schedule.ts";
export * as sdk from "./sdk/index.ts";
export { MAX_KEY_BYTES, MAX_VALUE_BYTES, StoreInputError, StoreWriteError } from "./store/index.ts";
export { Log, type Logger } from "./telemetry/logger.ts";
