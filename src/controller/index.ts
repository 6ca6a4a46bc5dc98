export { type CapabilityBindings, Controller } from "./dispatch/controller.ts";
export { MemorySource } from "./dispatch/memory-source.ts";
export type { ObjectSource } from "./dispatch/object-source.ts";
export { EventRecorder, type EventRecorderOptions } from "./event-recorder.ts";
export type { OrderingStrategy, ReconcileDelivery } from "./ordering.ts";
export {
  ExponentialBackoff,
  type ExponentialBackoffOptions,
  FixedInterval,
  NoRetry,
  type RetryPolicy,
} from "./retry-policy.ts";
