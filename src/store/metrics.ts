import { Counter, Histogram } from "prom-client";
import { registry } from "../telemetry/index.ts";

/** Store metrics, labelled by store name. Values and keys never become labels. */
export const storeMetrics = {
  ackSeconds: new Histogram({
    name: "capstan_store_write_ack_seconds",
    help: "Time from setItem/removeItem to the API server acknowledging the write",
    labelNames: ["store"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [registry],
  }),
  patches: new Counter({
    name: "capstan_store_patches_total",
    help: "Store patch requests by outcome (ok, retry, rejected)",
    labelNames: ["store", "outcome"],
    registers: [registry],
  }),
  rejectedWrites: new Counter({
    name: "capstan_store_rejected_writes_total",
    help: "Writes the API server refused for good (the writer's *AndWait promise rejects)",
    labelNames: ["store"],
    registers: [registry],
  }),
  splits: new Counter({
    name: "capstan_store_shard_splits_total",
    help: "Store shards this process split in two because they were full (splits it only helped finish are not counted)",
    labelNames: ["store"],
    registers: [registry],
  }),
  updateConflicts: new Counter({
    name: "capstan_store_update_conflicts_total",
    help: "Store.update attempts retried because another writer changed the key first",
    labelNames: ["store"],
    registers: [registry],
  }),
};
