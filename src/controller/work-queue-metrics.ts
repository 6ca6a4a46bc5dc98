import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "../telemetry/index.ts";

/** What a live queue reports when metrics are scraped. */
export interface QueueGauges {
  readonly name: string;
  /** Items ready to run (not running, not waiting for a retry or requeue). */
  readonly depth: number;
  /** Items waiting for a retry or requeue timer. */
  readonly waiting: number;
  /** Seconds the longest-running item has been in its callback; 0 when idle. */
  readonly longestRunningSeconds: number;
}

const liveQueues = new Set<() => QueueGauges>();

const latencyBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/** Prometheus metrics shared by every work queue, labelled by queue name. */
export const queueMetrics = {
  adds: new Counter({
    name: "capstan_workqueue_adds_total",
    help: "Items added to a work queue (including ones coalesced into a pending item)",
    labelNames: ["queue"],
    registers: [registry],
  }),
  coalesced: new Counter({
    name: "capstan_workqueue_coalesced_total",
    help: "Adds merged into an item that was already pending or running",
    labelNames: ["queue"],
    registers: [registry],
  }),
  retries: new Counter({
    name: "capstan_workqueue_retries_total",
    help: "Items scheduled for a retry after their callback threw",
    labelNames: ["queue"],
    registers: [registry],
  }),
  failures: new Counter({
    name: "capstan_workqueue_failures_total",
    help: "Callback runs that threw",
    labelNames: ["queue"],
    registers: [registry],
  }),
  givenUp: new Counter({
    name: "capstan_workqueue_given_up_total",
    help: "Items dropped because their retry policy gave up",
    labelNames: ["queue"],
    registers: [registry],
  }),
  queueSeconds: new Histogram({
    name: "capstan_workqueue_queue_duration_seconds",
    help: "Time an item waited between becoming ready and its callback starting",
    labelNames: ["queue"],
    buckets: latencyBuckets,
    registers: [registry],
  }),
  workSeconds: new Histogram({
    name: "capstan_workqueue_work_duration_seconds",
    help: "Time a callback ran",
    labelNames: ["queue"],
    buckets: latencyBuckets,
    registers: [registry],
  }),
  depth: new Gauge({
    name: "capstan_workqueue_depth",
    help: "Items ready to run",
    labelNames: ["queue"],
    registers: [registry],
    collect() {
      this.reset();
      for (const report of liveQueues) this.inc({ queue: report().name }, report().depth);
    },
  }),
  waiting: new Gauge({
    name: "capstan_workqueue_waiting",
    help: "Items waiting for a retry or requeue timer",
    labelNames: ["queue"],
    registers: [registry],
    collect() {
      this.reset();
      for (const report of liveQueues) this.inc({ queue: report().name }, report().waiting);
    },
  }),
  longestRunning: new Gauge({
    name: "capstan_workqueue_longest_running_processor_seconds",
    help: "How long the longest-running callback of a queue has been running",
    labelNames: ["queue"],
    registers: [registry],
    collect() {
      this.reset();
      const longest = new Map<string, number>();
      for (const report of liveQueues) {
        const { name, longestRunningSeconds } = report();
        longest.set(name, Math.max(longest.get(name) ?? 0, longestRunningSeconds));
      }
      for (const [queue, seconds] of longest) this.set({ queue }, seconds);
    },
  }),
};

/** Makes a queue visible to the depth and longest-running gauges; returns the function that hides it again. */
export function reportQueue(report: () => QueueGauges): () => void {
  liveQueues.add(report);
  return () => liveQueues.delete(report);
}
