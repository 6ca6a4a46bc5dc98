import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "../telemetry/index.ts";

const labelNames = ["capability", "schedule"] as const;

export const scheduleMetrics = {
  runs: new Counter({
    name: "capstan_schedule_runs_total",
    help: "Schedule runs by outcome (succeeded, failed)",
    labelNames: [...labelNames, "outcome"],
    registers: [registry],
  }),
  skipped: new Counter({
    name: "capstan_schedule_skipped_slots_total",
    help: "Slots passed over by the catch-up policy (no leader, or a run outlasting its interval)",
    labelNames,
    registers: [registry],
  }),
  duration: new Histogram({
    name: "capstan_schedule_run_seconds",
    help: "How long schedule runs took",
    labelNames,
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [registry],
  }),
  lastSuccess: new Gauge({
    name: "capstan_schedule_last_success_timestamp_seconds",
    help: "When a schedule last finished successfully (Unix time)",
    labelNames,
    registers: [registry],
  }),
};
