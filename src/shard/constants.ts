/** Label on every sharded object (and on each shard Lease): the shard that reconciles it. */
export { SHARD_LABEL } from "../contract/index.ts";
/** Label on shard Leases: `capstan-<uuid>` (the module's object prefix); selects a module's members. */
export const SHARD_LEASE_LABEL = "capstan.dev/shard-lease";
/** Annotation the assigner sets when an object moves between live shards: the new shard's id. */
export const DRAIN_TO_ANNOTATION = "capstan.dev/drain-to";

/** A shard Lease not renewed for this long is expired (the shard is dead). */
export const SHARD_LEASE_DURATION_MS = 15_000;
/** How often a live shard renews its Lease. */
export const SHARD_RENEW_PERIOD_MS = 2_000;
/** How often the assigner re-reads the shard Leases and checks every object's label. */
export const ASSIGNER_PERIOD_MS = 1_000;
/** Label and annotation patches the assigner keeps in flight. */
export const ASSIGNER_CONCURRENCY = 100;
