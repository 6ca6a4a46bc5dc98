// The names of Pepr's main entry that are Pepr's own rather than capstan's authoring API.

export { MetricsCollector, type MetricsCollectorInstance, metricsCollector } from "./metrics-collector.ts";
export * as PeprUtils from "./pepr-utils.ts";
export { R } from "./ramda.ts";
