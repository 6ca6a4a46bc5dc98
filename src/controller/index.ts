export { type ControllerRole, type ControllerRoleOptions, startControllerRole } from "./controller-role.ts";
export { type CapabilityBindings, Controller } from "./dispatch/controller.ts";
export { MemorySource } from "./dispatch/memory-source.ts";
export type { ObjectSource, SourceFactory } from "./dispatch/object-source.ts";
export { scopeOf } from "./dispatch/scope.ts";
export { EventRecorder, type EventRecorderOptions } from "./event-recorder.ts";
export { serveHealth } from "./health-server.ts";
export { electionIdentity } from "./leader-election.ts";
export { claim, type Lease, microTime } from "./lease-record.ts";
export type { OrderingStrategy, ReconcileDelivery } from "./ordering.ts";
export { DEFAULT_ORDERING_STRATEGY, parseOrderingStrategy, parseReconcileDelivery } from "./ordering.ts";
export {
  ExponentialBackoff,
  type ExponentialBackoffOptions,
  FixedInterval,
  NoRetry,
  type RetryPolicy,
} from "./retry-policy.ts";
