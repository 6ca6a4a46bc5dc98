import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopInformers } from "../../../src/informer/index.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { FaultProxy } from "../../../src/testing/fault-proxy.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { createConfigMap, updateConfigMap } from "../informer/helpers.ts";
import { runController } from "./support.ts";

let client: ApiClient;
let ns: string;

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "ctl-health");
});
afterAll(async () => {
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` });
  await client.close();
});

describe("controller readiness", () => {
  it("turns false within the stale threshold when only the watch is black-holed, and recovers when it heals", async () => {
    const staleAfterSeconds = 3;
    const proxy = await FaultProxy.start({ target: client.connection.server });
    // Only the controller's informers go through the proxy; the churn below goes direct.
    const watchClient = new ApiClient({ ...client.connection, server: proxy.url() }, { headersTimeoutMs: 4_000 });
    const capability = new Capability({ name: "health", description: "" });
    let reconciles = 0;
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace(ns)
      .Reconcile(() => void reconciles++);
    await createConfigMap(client, ns, "tick", { n: "0" });
    const controller = await runController(watchClient, capability, {
      informer: { idleTimeoutMs: 2_000, backoff: { initialMs: 200, maxMs: 1_000 } },
    });
    let n = 0;
    const churn = setInterval(() => void updateConfigMap(client, ns, "tick", { n: String(++n) }).catch(() => {}), 300);
    try {
      await eventually(async () => (controller.readiness({ staleAfterSeconds }).ok ? true : undefined), {
        what: "ready",
      });

      proxy.setBlackHole(true);
      const holedAt = Date.now();
      const notReady = await eventually(
        async () => {
          const report = controller.readiness({ staleAfterSeconds });
          return report.ok ? undefined : report;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: "readiness to turn false" },
      );
      const detectedMs = Date.now() - holedAt;
      expect(notReady.checks[0]?.detail).toMatch(/stale/);
      expect(detectedMs).toBeLessThanOrEqual(staleAfterSeconds * 1000 + 1000);
      console.log(`[health] threshold ${staleAfterSeconds} s: not ready after ${detectedMs} ms of black hole`);

      const reconcilesBeforeHeal = reconciles;
      proxy.setBlackHole(false);
      const healedAt = Date.now();
      await eventually(async () => (controller.readiness({ staleAfterSeconds }).ok ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: "readiness to recover",
      });
      const recoveredMs = Date.now() - healedAt;
      await eventually(async () => (reconciles > reconcilesBeforeHeal ? true : undefined), {
        what: "reconciles after healing",
      });
      console.log(`[health] ready again ${recoveredMs} ms after healing`);
    } finally {
      clearInterval(churn);
      await controller.stop();
      await stopInformers(watchClient);
      await watchClient.close();
      await proxy.close();
    }
  });
});
