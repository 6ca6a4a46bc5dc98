// Optional OpenTelemetry spans (docs/observability.md). Off unless the runtime installs a tracer
// (src/runtime/tracing-setup.ts loads the SDK only then): every hook below first checks `active`,
// so the off path is one comparison and no allocation.
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";

let active: Tracer | undefined;

/** Installs (or, with undefined, removes) the tracer every span below is made with. */
export function setTracer(tracer: Tracer | undefined): void {
  active = tracer;
}

export function tracingEnabled(): boolean {
  return active !== undefined;
}

/**
 * Runs `fn` in a new span, the current one's child, that ends when `fn` settles (an error is
 * recorded and rethrown). Without a tracer it is `fn(undefined)`.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  const tracer = active;
  if (!tracer) return fn(undefined);
  return tracer.startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The current span while tracing is on (for attributes known only deeper in). */
export function currentSpan(): Span | undefined {
  return active ? trace.getSpan(context.active()) : undefined;
}

/** A client span for an API call, only inside a span already (a callback's), so background traffic makes none. */
export function clientSpan(name: string, attributes: Attributes): Span | undefined {
  const tracer = active;
  if (!tracer || !trace.getSpan(context.active())) return undefined;
  return tracer.startSpan(name, { attributes, kind: SpanKind.CLIENT });
}

/** Ends a client span with the answer's status, or as failed when the call threw. */
export function endClientSpan(span: Span, status: number | undefined, error?: unknown): void {
  if (status !== undefined) span.setAttribute("http.response.status_code", status);
  if (error !== undefined || (status !== undefined && status >= 400)) {
    span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
  }
  span.end();
}

export { SpanKind };
