import { Gauge } from "prom-client";
import { registry } from "./metrics.ts";

// Pepr's watch metrics (Pepr 1.1.4, src/lib/telemetry/metrics.ts), beside capstan's labelled
// capstan_informer_* ones, so dashboards and alerts written for Pepr keep their series.

const cacheMiss = new Gauge({
  name: "pepr_cache_miss",
  help: "Relists that found changes the watch had not delivered, by window start (Pepr's name)",
  labelNames: ["window"] as const,
  registers: [registry],
});

const resyncFailures = new Gauge({
  name: "pepr_resync_failure_count",
  help: "Watch reconnect attempts, by attempt number since the last healthy watch (Pepr's name)",
  labelNames: ["count"] as const,
  registers: [registry],
});

/**
 * Window labels kept unless PEPR_MAX_CACHE_MISS_WINDOWS says otherwise. Pepr keeps every window;
 * capstan bounds the series a long-running process accumulates.
 */
const DEFAULT_MAX_WINDOWS = 24;
/** One window per hour, as an ISO timestamp of its start. */
const WINDOW_MS = 3_600_000;

let maxWindows = DEFAULT_MAX_WINDOWS;
const windows: string[] = [];

export const peprWatchMetrics = {
  setMaxCacheMissWindows(max: number): void {
    maxWindows = max;
    trimWindows();
  },
  /** A relist: the watch lost its place and the list may hold changes it never delivered. */
  cacheMiss(now: number = Date.now()): void {
    const window = new Date(now - (now % WINDOW_MS)).toISOString();
    if (!windows.includes(window)) {
      windows.push(window);
      trimWindows();
    }
    cacheMiss.inc({ window });
  },
  /** A reconnect after `failures` consecutive failures; routine reconnects (server timeouts) are not failures. */
  resyncFailure(failures: number): void {
    if (failures > 0) resyncFailures.inc({ count: String(failures) });
  },
};

function trimWindows(): void {
  while (windows.length > maxWindows) {
    const oldest = windows.shift();
    if (oldest) cacheMiss.remove({ window: oldest });
  }
}
