export { Assigner, type AssignerOptions, type Assignment, assignmentOf } from "./assigner.ts";
export {
  ASSIGNER_CONCURRENCY,
  ASSIGNER_PERIOD_MS,
  DRAIN_TO_ANNOTATION,
  SHARD_LABEL,
  SHARD_LEASE_DURATION_MS,
  SHARD_LEASE_LABEL,
  SHARD_RENEW_PERIOD_MS,
} from "./constants.ts";
export { type KeyKind, shardKey } from "./key.ts";
export { type LabelTarget, ShardLabeller, type ShardLabellerOptions } from "./labeller.ts";
export { checkShardId, ShardLease, type ShardLeaseOptions, ShardView, shardIdFrom } from "./membership.ts";
export { shardMetrics } from "./metrics.ts";
export { DEFAULT_VNODES, HashRing, type HashRingOptions, murmur3Utf16 } from "./ring.ts";
export {
  type ShardedControllerRole,
  type ShardOptions,
  shardScopes,
  startShardedControllerRole,
} from "./sharded-role.ts";
export { type BusyCheck, deletedEventKind, ShardedSources, type ShardedSourcesOptions } from "./sharded-source.ts";
export {
  type ChangeReport,
  DEFAULT_HANDOVER_TIMINGS,
  type HandoverTime,
  type HandoverTimings,
  handoverTime,
  type MembershipChange,
  type MembershipChangeKind,
  type SimulationOptions,
  type SimulationReport,
  simulateRing,
} from "./simulation.ts";
