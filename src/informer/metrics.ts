import { Counter, Gauge, Histogram } from "prom-client";
import { peprWatchMetrics, registry } from "../telemetry/index.ts";
import type { InformerHealth } from "./types.ts";

const labelNames = ["kind", "namespace", "label_selector", "field_selector"] as const;
type Labels = Record<(typeof labelNames)[number], string>;

/** Informers whose health the gauges report at scrape time. */
const reporting = new Set<{ health(): InformerHealth }>();

function labelsOf(health: InformerHealth): Labels {
  return {
    kind: health.kind,
    namespace: health.namespace,
    label_selector: health.labelSelector,
    field_selector: health.fieldSelector,
  };
}

function healthGauge(name: string, help: string, value: (health: InformerHealth) => number | undefined): Gauge {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const informer of reporting) {
        const health = informer.health();
        const v = value(health);
        if (v !== undefined) this.set(labelsOf(health), v);
      }
    },
  });
}

healthGauge("capstan_informer_synced", "1 when the informer's initial list is cached and delivered", (h) =>
  h.synced ? 1 : 0,
);
healthGauge(
  "capstan_informer_last_event_age_seconds",
  "Seconds since the API server last sent the informer anything (event, bookmark or list page)",
  (h) => h.lastEventAgeSeconds,
);
healthGauge(
  "capstan_informer_backoff_seconds",
  "Current reconnect backoff delay (0 when connected)",
  (h) => h.backoffMs / 1000,
);
healthGauge("capstan_informer_stalled", "1 while the informer's watch or delivery is stalled", (h) =>
  h.stalled ? 1 : 0,
);
healthGauge(
  "capstan_informer_event_loop_blocked_seconds",
  "Total time the informer's watchdog saw the event loop blocked (not counted as watch silence)",
  (h) => h.eventLoopBlockedSeconds,
);
healthGauge("capstan_informer_cached_objects", "Objects in the informer's cache", (h) => h.cachedObjects);
healthGauge("capstan_informer_pending_events", "Events waiting for handlers", (h) => h.pendingEvents);

const reconnects = new Counter({
  name: "capstan_informer_reconnects_total",
  help: "Watch connections opened after the first",
  labelNames,
  registers: [registry],
});
const relists = new Counter({
  name: "capstan_informer_relists_total",
  help: "LISTs after the initial one (410 Gone or a failed relist)",
  labelNames,
  registers: [registry],
});
const handlerErrors = new Counter({
  name: "capstan_informer_handler_errors_total",
  help: "Subscriber handlers that threw or rejected",
  labelNames,
  registers: [registry],
});

const stalls = new Counter({
  name: "capstan_informer_stalls_total",
  help: "Stalls detected: kind=stream (watch silent past the idle timeout) or delivery (events waiting, no subscriber call completing)",
  labelNames: [...labelNames, "stall"],
  registers: [registry],
});
const recoveries = new Histogram({
  name: "capstan_informer_stall_recovery_seconds",
  help: "How long each stall lasted, from the last progress to recovery",
  labelNames: [...labelNames, "stall"],
  buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600],
  registers: [registry],
});

export const informerMetrics = {
  stall(health: InformerHealth, kind: string): void {
    stalls.inc({ ...labelsOf(health), stall: kind });
  },
  recovered(health: InformerHealth, kind: string, seconds: number): void {
    recoveries.observe({ ...labelsOf(health), stall: kind }, seconds);
  },
  track(informer: { health(): InformerHealth }): void {
    reporting.add(informer);
  },
  untrack(informer: { health(): InformerHealth }): void {
    reporting.delete(informer);
  },
  reconnect(health: InformerHealth): void {
    reconnects.inc(labelsOf(health));
    peprWatchMetrics.resyncFailure(health.consecutiveFailures);
  },
  relist(health: InformerHealth): void {
    relists.inc(labelsOf(health));
    peprWatchMetrics.cacheMiss();
  },
  handlerError(health: InformerHealth): void {
    handlerErrors.inc(labelsOf(health));
  },
};
