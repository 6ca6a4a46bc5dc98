import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControllerRole } from "../../../src/controller/controller-role.ts";
import { serveHealth } from "../../../src/controller/health-server.ts";
import { stopInformers } from "../../../src/informer/index.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { FaultProxy } from "../../../src/testing/fault-proxy.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { createConfigMap, updateConfigMap } from "../informer/helpers.ts";
import { quiet } from "./support.ts";

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

describe("controller /readyz and /healthz", () => {
  it("/readyz turns 503 within the stale threshold when only the watch is black-holed, and 200 again when it heals", async () => {
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
    const role = await startControllerRole(watchClient, {
      capabilities: [capability],
      leaderElection: false,
      logger: quiet,
      informer: { idleTimeoutMs: 2_000, backoff: { initialMs: 200, maxMs: 1_000 } },
      readiness: { staleAfterSeconds },
    });
    const server = await serveHealth(role, { port: 0, host: "127.0.0.1" });
    const probe = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: response.status, body: await response.text() };
    };
    let n = 0;
    const churn = setInterval(() => void updateConfigMap(client, ns, "tick", { n: String(++n) }).catch(() => {}), 300);
    try {
      await eventually(async () => ((await probe("/readyz")).status === 200 ? true : undefined), { what: "ready" });
      expect((await probe("/healthz")).status).toBe(200);
      expect((await probe("/metrics")).body).toContain("capstan_workqueue_depth");

      proxy.setBlackHole(true);
      const holedAt = Date.now();
      const notReady = await eventually(
        async () => {
          const answer = await probe("/readyz");
          return answer.status === 503 ? answer : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: "/readyz to turn 503" },
      );
      const detectedMs = Date.now() - holedAt;
      expect(notReady.body).toMatch(/stale/);
      expect(detectedMs).toBeLessThanOrEqual(staleAfterSeconds * 1000 + 1000);
      expect((await probe("/healthz")).status, "a stale watch is not a wedged process").toBe(200);
      console.log(`[health] threshold ${staleAfterSeconds} s: /readyz 503 after ${detectedMs} ms of black hole`);

      const reconcilesBeforeHeal = reconciles;
      proxy.setBlackHole(false);
      const healedAt = Date.now();
      await eventually(async () => ((await probe("/readyz")).status === 200 ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: "/readyz to recover",
      });
      const recoveredMs = Date.now() - healedAt;
      await eventually(async () => (reconciles > reconcilesBeforeHeal ? true : undefined), {
        what: "reconciles after healing",
      });
      console.log(`[health] /readyz 200 again ${recoveredMs} ms after healing`);
    } finally {
      clearInterval(churn);
      await server.close();
      await role.shutdown();
      await stopInformers(watchClient);
      await watchClient.close();
      await proxy.close();
    }
  });

  it("/healthz fails after the event loop was blocked longer than the limit", async () => {
    const role = await startControllerRole(client, {
      capabilities: [],
      leaderElection: false,
      logger: quiet,
      liveness: { intervalMs: 100, maxLagMs: 1000, rememberMs: 5000 },
    });
    const server = await serveHealth(role, { port: 0, host: "127.0.0.1" });
    try {
      const healthz = async () => (await fetch(`http://127.0.0.1:${server.port}/healthz`)).status;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await healthz()).toBe(200);
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        // A callback stuck in synchronous work: nothing else runs meanwhile.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await healthz()).toBe(503);
    } finally {
      await server.close();
      await role.shutdown();
    }
  });
});
