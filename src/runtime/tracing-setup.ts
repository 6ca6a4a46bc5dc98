// Turns tracing on from the standard OTEL_* variables (docs/observability.md, "Traces"), loading
// the OpenTelemetry SDK only then; off, nothing of it is imported.
import { context, trace } from "@opentelemetry/api";
import { Log, setTracer } from "../telemetry/index.ts";

export interface TracingSettings {
  readonly serviceName: string;
  /** Exporters to send spans to: OTLP over HTTP/JSON, and/or the console. */
  readonly exporters: readonly ("otlp" | "console")[];
  /** The OTLP traces URL; undefined lets the exporter use its default (http://localhost:4318/v1/traces). */
  readonly url?: string;
  /** How long finished spans wait to be sent together. Default 1 s. */
  readonly batchDelayMs?: number;
}

export interface TracingHandle {
  /** Sends what is buffered and stops tracing. */
  shutdown(): Promise<void>;
}

const SUPPORTED = new Set(["otlp", "console", "none"]);

/** Reads the OTEL_* variables: undefined when tracing stays off; unusable values are said at warn. */
export function tracingSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  defaultServiceName: string,
): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const listed = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const unsupported = listed.filter((name) => !SUPPORTED.has(name));
  if (unsupported.length > 0) {
    Log.warn(
      { OTEL_TRACES_EXPORTER: env.OTEL_TRACES_EXPORTER },
      `OTEL_TRACES_EXPORTER ${unsupported.join(", ")} is not supported: use otlp (OTLP over HTTP/JSON), console or none`,
    );
  }
  if (listed.includes("none")) return undefined;
  const exporters =
    listed.length > 0 ? listed.filter((name) => name === "otlp" || name === "console") : endpoint ? ["otlp"] : [];
  if (exporters.length === 0) return undefined;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol && protocol !== "http/json") {
    Log.warn(
      { protocol },
      "OTEL_EXPORTER_OTLP_PROTOCOL: capstan sends OTLP over HTTP/JSON only; point it at an http/json receiver (port 4318)",
    );
  }
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces` : undefined);
  return {
    serviceName: env.OTEL_SERVICE_NAME || defaultServiceName,
    exporters: exporters as TracingSettings["exporters"],
    ...(url ? { url } : {}),
  };
}

/** Installs a tracer provider with the settings' exporters; spans made by src/telemetry/tracing.ts go there. */
export async function startTracing(settings: TracingSettings): Promise<TracingHandle> {
  const [sdk, otlp, hooks, resources] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/resources"),
  ]);
  const processors = settings.exporters.map((name) =>
    name === "otlp"
      ? new sdk.BatchSpanProcessor(new otlp.OTLPTraceExporter(settings.url ? { url: settings.url } : {}), {
          scheduledDelayMillis: settings.batchDelayMs ?? 1_000,
        })
      : new sdk.SimpleSpanProcessor(new sdk.ConsoleSpanExporter()),
  );
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ "service.name": settings.serviceName }),
    spanProcessors: processors,
  });
  const contextManager = new hooks.AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  setTracer(provider.getTracer("capstan"));
  Log.info({ exporters: settings.exporters, url: settings.url, service: settings.serviceName }, "tracing on");
  return {
    async shutdown() {
      setTracer(undefined);
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
