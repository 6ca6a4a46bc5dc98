import { performance } from "node:perf_hooks";
import { Counter, Gauge, type Metric, Summary } from "prom-client";
import { registry } from "../telemetry/index.ts";

/**
 * Pepr's `metricsCollector`: a module's own counters, gauges and summaries, named `<prefix>_<name>`
 * (prefix `pepr`, as under Pepr) and served with capstan's metrics on `/metrics`. Metrics are looked up
 * in capstan's registry by full name, so a name the engine already registers (`pepr_errors`, …) is
 * shared rather than registered twice; adding a name that exists is a no-op, as under Pepr.
 */
export class MetricsCollector {
  readonly #prefix: string;

  constructor(prefix = "pepr") {
    this.#prefix = prefix;
  }

  #name(name: string): string {
    return `${this.#prefix}_${name}`;
  }

  #find<T extends Metric>(name: string, type: abstract new (...args: never[]) => T): T | undefined {
    const metric = registry.getSingleMetric(this.#name(name));
    return metric instanceof type ? metric : undefined;
  }

  addCounter = (name: string, help: string): void => {
    if (registry.getSingleMetric(this.#name(name))) return;
    new Counter({ name: this.#name(name), help, registers: [registry] });
  };

  addGauge = (name: string, help: string, labelNames: string[] = []): void => {
    if (registry.getSingleMetric(this.#name(name))) return;
    new Gauge({ name: this.#name(name), help, labelNames, registers: [registry] });
  };

  addSummary = (name: string, help: string): void => {
    if (registry.getSingleMetric(this.#name(name))) return;
    new Summary({ name: this.#name(name), help, registers: [registry] });
  };

  /** Adds one to a counter added before; an unknown name is ignored, as under Pepr. */
  incCounter = (name: string): void => {
    this.#find(name, Counter)?.inc();
  };

  incGauge = (name: string, labels: Record<string, string> = {}, value = 1): void => {
    this.#find(name, Gauge)?.inc(labels, value);
  };

  /** Records the milliseconds since `startTime` (from `MetricsCollector.observeStart()`) on a summary. */
  observeEnd = (startTime: number, name = "mutate"): void => {
    this.#find(name, Summary)?.observe(performance.now() - startTime);
  };

  error = (): void => this.incCounter("errors");
  alert = (): void => this.incCounter("alerts");
  // Pepr's watch metrics, counted on the gauges of those names when the engine registers them.
  incCacheMiss = (window: string): void => this.incGauge("cache_miss", { window });
  initCacheMissWindow = (window: string): void => {
    this.#find("cache_miss", Gauge)?.set({ window }, 0);
  };
  incRetryCount = (count: number): void => this.incGauge("resync_failure_count", { count: String(count) });

  /** Every metric capstan serves, in Prometheus text format. */
  getMetrics = (): Promise<string> => registry.metrics();

  static observeStart(): number {
    return performance.now();
  }
}

export type MetricsCollectorInstance = InstanceType<typeof MetricsCollector>;

export const metricsCollector: MetricsCollectorInstance = new MetricsCollector("pepr");
