import { Counter, Histogram } from "prom-client";
import { registry } from "../../telemetry/index.ts";

const labelNames = ["capability", "binding", "action", "result"] as const;

/** Per-binding callback outcomes: `ok`, `error`, `skipped` (filters no longer match), `kept` (finalizer kept). */
export const callbackMetrics = {
  calls: new Counter({
    name: "capstan_controller_callbacks_total",
    help: "Watch, Reconcile and Finalize callbacks run, by outcome",
    labelNames,
    registers: [registry],
  }),
  seconds: new Histogram({
    name: "capstan_controller_callback_duration_seconds",
    help: "How long Watch, Reconcile and Finalize callbacks ran",
    labelNames: ["capability", "binding", "action"],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  }),
};
