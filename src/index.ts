// capstan's public API: Pepr's authoring surface plus capstan's own additions.

export {
  MetricsCollector,
  type MetricsCollectorInstance,
  metricsCollector,
  PeprUtils,
  R,
} from "./compat/index.ts";
export { EventRecorder, type EventRecorderOptions } from "./controller/event-recorder.ts";
export { ExponentialBackoff, FixedInterval, NoRetry, type RetryPolicy } from "./controller/retry-policy.ts";
export {
  type FetchResponse,
  type Filters as K8sFilters,
  fetch,
  fetchStatus,
  K8s,
  type K8sInit,
  type KubernetesListObject,
  LogsUnavailableError,
  type Operation as JsonPatchOperation,
  type PartialDeep,
  setDefaultClient,
  type WatchAction,
  type WatchCfg,
  Watcher,
} from "./fluent/index.ts";
export {
  type Informer,
  type InformerEvent,
  type InformerHandler,
  type InformerHealth,
  type InformerOptions,
  type InformerScope,
  informerHealth,
  sharedInformer,
  stopInformers,
  stripManagedFields,
} from "./informer/index.ts";
export { ApiClient, type ApiClientOptions, type ApiRequest } from "./k8s/api-client.ts";
export * from "./k8s/errors.ts";
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
