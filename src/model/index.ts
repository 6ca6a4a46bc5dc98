// The authoring model: bindings as plain data plus callbacks, with no I/O.
export type { AdmissionRequest, AdmissionResponse, ValidateActionResponse } from "./admission-request.ts";
export { type GroupVersionResource, subjectField, subjectOf, type UserInfo } from "./admission-request.ts";
export {
  type AuditConfig,
  type AuditSettings,
  auditConfigError,
  auditSettings,
  type ReportApi,
  reportApis,
} from "./audit-config.ts";
export type {
  Action,
  Binding,
  Filters,
  FinalizeAction,
  MutateAction,
  ReconcileResult,
  ValidateAction,
  WatchLogAction,
} from "./binding.ts";
export { describeBinding, emptyFilters } from "./binding.ts";
export { Capability, type CapabilityCfg } from "./capability.ts";
export { type CelMutation, celMutationError, type MutateCelSpec } from "./cel-mutation.ts";
export {
  type CelAction,
  type CelPolicy,
  type CelReason,
  type CelValidation,
  celPolicyError,
  celReasons,
  type ValidateCelOptions,
} from "./cel-policy.ts";
export {
  celActionsOf,
  type Enforcement,
  type EnforcementConfig,
  enforcementConfigError,
  enforcementNamesError,
  enforcementOf,
  enforcementValues,
  ruleOf,
} from "./enforcement.ts";
export { Event, Operation, operationsOf, WatchPhase, watchPhasesOf } from "./events.ts";
export {
  admissionSkipReason,
  carriedNamespace,
  shouldSkipAdmission,
  shouldSkipWatch,
  watchSkipReason,
} from "./filters.ts";
export { addFinalizer, FINALIZER, finalizerAdder, finalizerOf } from "./finalizer.ts";
export {
  type Flavor,
  type FlavorNames,
  flavorNames,
  flavorOf,
  flavorOfPackage,
  flavors,
  namesOf,
  parseFlavor,
} from "./flavor.ts";
export { cloneJson, isPlainObject } from "./json.ts";
export {
  loadedModules,
  Module,
  type ModuleStarter,
  PeprModule,
  type PeprModuleOptions,
  setModuleStarter,
} from "./module.ts";
export * from "./module-config.ts";
export { type DeepPartial, PeprMutateRequest } from "./mutate-request.ts";
export { sanitizeResourceName } from "./names.ts";
export type { CatchUpPolicy, CronSchedule, IntervalSchedule, ScheduleDefinition, ScheduleUnit } from "./schedule.ts";
export { DeferredStore, type PeprStore, type Schedule } from "./store.ts";
export { PeprValidateRequest } from "./validate-request.ts";
export type * from "./when-types.ts";
export { WorkingObject } from "./working-object.ts";
