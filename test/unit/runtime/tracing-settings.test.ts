import { describe, expect, it } from "vitest";
import { tracingSettingsFromEnv } from "../../../src/runtime/tracing-setup.ts";
import { inSpan, tracingEnabled } from "../../../src/telemetry/index.ts";

describe("tracing settings from OTEL_* variables", () => {
  it("stays off without an exporter or endpoint, with none, and when the SDK is disabled", () => {
    expect(tracingSettingsFromEnv({}, "svc")).toBeUndefined();
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: "none" }, "svc")).toBeUndefined();
    expect(
      tracingSettingsFromEnv({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, "svc"),
    ).toBeUndefined();
  });

  it("turns on with an endpoint or an exporter, and derives the traces URL as the spec says", () => {
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }, "svc")).toEqual({
      serviceName: "svc",
      exporters: ["otlp"],
      url: "http://collector:4318/v1/traces",
    });
    expect(
      tracingSettingsFromEnv(
        {
          OTEL_TRACES_EXPORTER: "otlp,console",
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://c/t",
          OTEL_SERVICE_NAME: "mine",
        },
        "svc",
      ),
    ).toEqual({ serviceName: "mine", exporters: ["otlp", "console"], url: "https://c/t" });
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: "otlp" }, "svc")).toEqual({
      serviceName: "svc",
      exporters: ["otlp"],
    });
  });

  it("makes no span when off: the callback runs as it is", async () => {
    expect(tracingEnabled()).toBe(false);
    await expect(inSpan("x", {}, async (span) => span)).resolves.toBeUndefined();
  });
});
