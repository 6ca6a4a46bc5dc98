import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/dispatch/controller.ts";
import { MemorySource } from "../../../src/controller/dispatch/memory-source.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";

// The "controller action" line skips redaction (it cost more than the rest of a Watch event's path);
// the logger a callback receives must still redact.
describe("controller action log line", () => {
  it("is written per Watch callback while the callback's own logger still redacts", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "info", redact: { paths: ["*.data"], censor: "[redacted]" } },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const capability = new Capability({ name: "logs", description: "" });
    capability
      .When(ConfigMap)
      .IsCreated()
      .Watch((object, _phase, log) => {
        log?.info({ cm: { data: object.data } }, "callback line");
      });
    let source: MemorySource | undefined;
    const controller = new Controller({
      client: {} as ApiClient,
      capabilities: [capability],
      logger,
      sources: (scope) => {
        source ??= new MemorySource(scope.kind);
        return source;
      },
    });
    controller.start();
    controller.activate();
    const secretish: KubernetesObject & { data: Record<string, string> } = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace: "a", name: "x" },
      data: { password: "hunter2" },
    };
    await source?.apply("ADDED", secretish);
    await controller.watchQueue.idle();
    const callbackLine = lines.find((line) => line.msg === "callback line");
    expect(callbackLine?.cm).toEqual({ data: "[redacted]" });
    expect(JSON.stringify(lines)).not.toContain("hunter2");
    const action = lines.find((line) => line.msg === "controller action");
    expect(action).toMatchObject({
      action: "watch",
      phase: "ADDED",
      kind: "ConfigMap",
      namespace: "a",
      name: "x",
      result: "ok",
      "capstan.capability": "logs",
    });
    await controller.stop();
  });
});
