import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { installPeprStoreCrd } from "../../../src/store/pepr-export.ts";
import { peprWatchMetrics } from "../../../src/telemetry/metrics-pepr.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let namespace: string;
let runtime: ModuleRuntime | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  await installPeprStoreCrd(client);
  namespace = await freshNamespace(client, "pepr-metrics");
});

afterAll(async () => {
  await runtime?.close();
  await client?.close();
});

describe("a Pepr-mode module's /metrics", () => {
  it("serves Pepr's metric names beside capstan's", async () => {
    const hello = new Capability({ name: "hello", description: "" });
    hello
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace(namespace)
      .Watch(() => undefined);
    const module = new PeprModule({ pepr: { uuid: "metrics-pepr", onError: "reject" } }, [hello], {
      deferStart: true,
    });
    const port = await freePort();
    runtime = await startModuleRuntime({
      module,
      client,
      role: "controller",
      namespace,
      controller: { leaseName: false, healthPort: port, host: "127.0.0.1" },
    });
    peprWatchMetrics.cacheMiss(Date.parse("2026-12-04T20:15:00Z"));
    peprWatchMetrics.resyncFailure(2);

    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const [name, type] of [
      ["pepr_errors", "counter"],
      ["pepr_alerts", "counter"],
      ["pepr_mutate", "summary"],
      ["pepr_validate", "summary"],
      ["pepr_mutate_timeouts", "counter"],
      ["pepr_validate_timeouts", "counter"],
      ["pepr_cache_miss", "gauge"],
      ["pepr_resync_failure_count", "gauge"],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
    }
    expect(text).toContain('pepr_cache_miss{window="2026-12-04T20:00:00.000Z"} 1');
    expect(text).toContain('pepr_resync_failure_count{count="2"} 1');
    expect(text).toMatch(/^capstan_informer_/m);
  });
});
