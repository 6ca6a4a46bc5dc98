import { Counter, Gauge } from "prom-client";
import { registry } from "../telemetry/index.ts";

/**
 * Per-shard metrics, labelled `{shard="<id>"}` (what `capstan monitor --ring` reads). A replica
 * reports its own shard's objects and queue depth; the assigner (on the leader) reports moves.
 */
export const shardMetrics = {
  objectsOwned: new Gauge({
    name: "capstan_shard_objects_owned",
    help: "Objects labelled for this shard in this replica's caches",
    labelNames: ["shard"],
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: "capstan_shard_queue_depth",
    help: "Items ready to run in this replica's work queues",
    labelNames: ["shard"],
    registers: [registry],
  }),
  moves: new Counter({
    name: "capstan_shard_moves_total",
    help: "Objects the assigner moved to this shard (drain started or label flipped)",
    labelNames: ["shard"],
    registers: [registry],
  }),
  drains: new Counter({
    name: "capstan_shard_drains_total",
    help: "Objects this shard handed over after a drain (label flipped by the old owner)",
    labelNames: ["shard"],
    registers: [registry],
  }),
  members: new Gauge({
    name: "capstan_shard_members",
    help: "Live shards in the assigner's view",
    registers: [registry],
  }),
};
