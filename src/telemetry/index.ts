export { jsonString, type LineWriter, lineWriter } from "./line-writer.ts";
export { bindingLogFields, Log, LogField, type Logger } from "./logger.ts";
export { enableProcessMetrics, registry } from "./metrics.ts";
export { peprWatchMetrics } from "./metrics-pepr.ts";
export { clientSpan, currentSpan, endClientSpan, inSpan, SpanKind, setTracer, tracingEnabled } from "./tracing.ts";
