import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedInformer } from "../../../src/informer/index.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { FaultProxy } from "../../../src/testing/fault-proxy.ts";
import { runFaultScenario } from "./fault-scenario.ts";
import { configMapKind, createConfigMap, deleteConfigMap, describeEvent, sleep, updateConfigMap } from "./helpers.ts";
import { PrivatePlane } from "./private-plane.ts";

// These tests restart kube-apiserver and compact etcd, so they run on a control plane of their own.
let plane: PrivatePlane;

beforeAll(async () => {
  plane = await PrivatePlane.start();
}, 180_000);

afterAll(async () => {
  await plane?.stop();
});

describe("informer under faults (private control plane)", () => {
  it("relists after a 410 and delivers exactly the difference", async () => {
    const client = await plane.client();
    const proxy = await FaultProxy.start({ target: plane.state.server });
    const proxied = new ApiClient({ ...client.connection, server: proxy.url() }, { headersTimeoutMs: 3_000 });
    const ns = "relist";
    await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: ns } } });
    for (const name of ["a", "b", "c"]) await createConfigMap(client, ns, name, { v: "1" });
    const informer = sharedInformer(proxied, {
      kind: configMapKind,
      namespace: ns,
      idleTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
      backoff: { initialMs: 200, maxMs: 1_000 },
    });
    const seen: string[] = [];
    informer.subscribe((event) => {
      seen.push(describeEvent(event));
    });
    try {
      informer.start();
      await informer.waitForSync(AbortSignal.timeout(20_000));
      expect(seen).toHaveLength(3);
      const gone: unknown[] = [];
      informer.events.on("relist", () => gone.push(informer.health().lastError));

      // While the informer cannot see the server: changes, a compaction, and a restart that empties
      // the watch cache, so the informer's resourceVersion no longer exists anywhere.
      proxy.setBlackHole(true);
      await deleteConfigMap(client, ns, "a");
      await updateConfigMap(client, ns, "b", { v: "2" });
      await createConfigMap(client, ns, "d", { v: "1" });
      await plane.compactEtcd();
      await plane.restartApiServer(client);
      proxy.setBlackHole(false);

      for (let i = 0; i < 200 && seen.length < 6; i++) await sleep(100);
      expect(seen.slice(3)).toEqual(['DELETED a {"v":"1"}', 'MODIFIED b {"v":"2"}', 'ADDED d {"v":"1"}']);
      expect(informer.health().relists).toBe(1);
      expect(gone).toHaveLength(1);
      expect(
        informer
          .list()
          .map((o) => o.metadata?.name)
          .sort(),
      ).toEqual(["b", "c", "d"]);
    } finally {
      await informer.stop();
      await proxied.close();
      await proxy.close();
      await client.close();
    }
  });

  it("stays exact through resets, half-open connections, a 410 and an API server restart (300 objects)", async () => {
    const report = await runFaultScenario(plane, {
      objects: 300,
      namespaces: 4,
      writeDurationMs: 30_000,
      resetEveryMs: 3_000,
      idleTimeoutMs: 2_000,
      log: (line) => console.log(line),
    });
    expect(report.violations).toEqual([]);
    expect(report.numbers.relists).toBeGreaterThanOrEqual(1);
    expect(report.numbers.connectionResets).toBeGreaterThanOrEqual(5);
    expect(report.numbers.blackHoles).toBe(2);
    expect(report.numbers.cachedObjects).toBe(report.numbers.listedObjects);
  }, 300_000);
});
