import { collectDefaultMetrics, Registry } from "prom-client";

/** Every capstan metric is registered here and served on /metrics (Prometheus text format). */
export const registry = new Registry();
registry.setDefaultLabels({});

let processMetrics = false;
/** Adds process metrics (CPU, memory, event-loop lag) once per process. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, prefix: "capstan_" });
}
