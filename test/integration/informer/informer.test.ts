import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { informerReadiness } from "../../../src/controller/health.ts";
import { sharedInformer } from "../../../src/informer/index.ts";
import type { InformerEvent } from "../../../src/informer/types.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { registry } from "../../../src/telemetry/metrics.ts";
import { FaultProxy } from "../../../src/testing/fault-proxy.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import {
  cacheState,
  configMapKind,
  createConfigMap,
  deleteConfigMap,
  describeEvent,
  isRootCa,
  serverState,
  sleep,
  updateConfigMap,
} from "./helpers.ts";

let client: ApiClient;

beforeAll(async () => {
  client = await adminClient();
});

afterAll(async () => {
  await client.close();
});

describe("informer against a real API server", () => {
  it("lists page by page, then watches, delivering every change in order to every subscriber", async () => {
    const ns = await freshNamespace(client, "inf-basic");
    for (let i = 0; i < 12; i++) await createConfigMap(client, ns, `pre-${i}`, { i: String(i) });
    const informer = sharedInformer(client, { kind: configMapKind, namespace: ns, pageSize: 5 });
    expect(sharedInformer(client, { kind: configMapKind, namespace: ns })).toBe(informer);
    const seen: string[] = [];
    informer.subscribe((event) => {
      if (!isRootCa(event)) seen.push(describeEvent(event));
    });
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(20_000));
    expect(seen.filter((s) => s.startsWith("ADDED pre-"))).toHaveLength(12);
    expect(informer.list().every((o) => o.metadata?.managedFields === undefined)).toBe(true);

    await createConfigMap(client, ns, "live", { v: "1" });
    await updateConfigMap(client, ns, "live", { v: "2" });
    await updateConfigMap(client, ns, "live", { v: "3" });
    await deleteConfigMap(client, ns, "live");
    await deleteConfigMap(client, ns, "pre-0");
    await eventually(async () => (seen.length >= 17 ? true : undefined), { what: "17 events" });
    expect(seen.slice(12)).toEqual([
      'ADDED live {"v":"1"}',
      'MODIFIED live {"v":"2"}',
      'MODIFIED live {"v":"3"}',
      'DELETED live {"v":"3"}',
      'DELETED pre-0 {"i":"0"}',
    ]);
    expect(cacheState(informer.list())).toEqual(await serverState(client, { namespace: ns }));

    // A late subscriber first gets the cache as ADDED events, then live changes.
    const late: string[] = [];
    informer.subscribe((event) => {
      if (!isRootCa(event)) late.push(describeEvent(event));
    });
    await updateConfigMap(client, ns, "pre-1", { i: "changed" });
    await eventually(async () => (late.length >= 12 ? true : undefined), { what: "replay and one change" });
    expect(late.slice(0, 11).every((s) => s.startsWith("ADDED pre-"))).toBe(true);
    expect(late[11]).toBe('MODIFIED pre-1 {"i":"changed"}');

    const health = informer.health();
    expect(health).toMatchObject({ synced: true, state: "watching", relists: 0, subscribers: 2 });
    expect(informer.list().filter((o) => o.metadata?.name?.startsWith("pre-"))).toHaveLength(11);
    expect(health.lastEventAgeSeconds).toBeLessThan(10);
    const metrics = await registry.getSingleMetricAsString("capstan_informer_synced");
    expect(metrics).toContain(`namespace="${ns}"`);
    await informer.stop();
    expect(informer.health().state).toBe("stopped");
    expect(sharedInformer(client, { kind: configMapKind, namespace: ns })).not.toBe(informer);
  });

  it("applies the transform and selectors it was given", async () => {
    const ns = await freshNamespace(client, "inf-opts");
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { metadata: { name: "a", labels: { team: "x" } } },
    });
    await createConfigMap(client, ns, "b");
    const informer = sharedInformer(client, {
      kind: configMapKind,
      namespace: ns,
      labelSelector: "team=x",
      transform: null,
      indexers: { team: (o) => [o.metadata?.labels?.team ?? ""] },
    });
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(20_000));
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(["a"]);
    expect(informer.get(ns, "a")?.metadata?.managedFields?.length).toBeGreaterThan(0);
    expect(informer.byIndex("team", "x")).toHaveLength(1);
    await informer.stop();
  });

  it("advances its resourceVersion on bookmarks when nothing in scope changes", async () => {
    const quiet = await freshNamespace(client, "inf-bookmark");
    const busy = await freshNamespace(client, "inf-busy");
    // A 5-9 s server timeout makes the server send its pre-timeout bookmark within seconds.
    const informer = sharedInformer(client, { kind: configMapKind, namespace: quiet, minWatchTimeoutSeconds: 5 });
    const bookmarks: string[] = [];
    informer.events.on("bookmark", (resourceVersion: string) => bookmarks.push(resourceVersion));
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(20_000));
    const listed = informer.health().resourceVersion;
    // Writes elsewhere move the server's resourceVersion on; the quiet namespace sees no events.
    for (let i = 0; i < 30 && !bookmarks.some((rv) => rv !== listed); i++) {
      await createConfigMap(client, busy, `elsewhere-${i}`);
      await sleep(1_000);
    }
    const advanced = bookmarks.find((rv) => rv !== listed);
    expect(advanced).toBeDefined();
    expect(informer.list().filter((o) => o.metadata?.name !== "kube-root-ca.crt")).toEqual([]);
    expect(informer.health().resourceVersion).not.toBe(listed);
    expect(informer.health().relists).toBe(0);
    await informer.stop();
  }, 60_000);

  it("detects a half-open connection with its idle timeout and catches up without relisting", async () => {
    const ns = await freshNamespace(client, "inf-idle");
    const proxy = await FaultProxy.start({ target: client.connection.server });
    const proxied = new ApiClient({ ...client.connection, server: proxy.url() }, { headersTimeoutMs: 4_000 });
    const informer = sharedInformer(proxied, {
      kind: configMapKind,
      namespace: ns,
      idleTimeoutMs: 2_000,
      backoff: { initialMs: 200, maxMs: 1_000 },
    });
    const events: InformerEvent[] = [];
    informer.subscribe((event) => {
      if (!isRootCa(event)) events.push(event);
    });
    try {
      informer.start();
      await informer.waitForSync(AbortSignal.timeout(20_000));
      await createConfigMap(client, ns, "before", { v: "1" });
      await eventually(async () => (events.length === 1 ? true : undefined), { what: "the first event" });

      proxy.setBlackHole(true);
      await createConfigMap(client, ns, "during", { v: "1" });
      await updateConfigMap(client, ns, "before", { v: "2" });
      await sleep(5_000); // more than twice the idle timeout
      expect(events).toHaveLength(1);
      expect(informer.health().lastError).toMatch(/sent nothing \(not even a bookmark\) for 2\.\d s/);
      expect(informer.health().stalled).toBe("stream");
      expect(informerReadiness([informer.health()]).ok).toBe(false);
      const metrics = await registry.metrics();
      expect(metrics).toMatch(
        new RegExp(`capstan_informer_stalls_total\\{[^}]*namespace="${ns}"[^}]*stall="stream"\\} [1-9]`),
      );
      expect(metrics).toMatch(new RegExp(`capstan_informer_stalled\\{[^}]*namespace="${ns}"[^}]*\\} 1`));
      proxy.setBlackHole(false);

      await eventually(async () => (events.length === 3 ? true : undefined), { what: "the missed events" });
      expect(informer.health().stalled).toBeUndefined();
      expect(informerReadiness([informer.health()]).ok).toBe(true);
      expect(informer.health().stalls).toBeGreaterThanOrEqual(1);
      expect(events.slice(1).map(describeEvent)).toEqual(['ADDED during {"v":"1"}', 'MODIFIED before {"v":"2"}']);
      expect(informer.health().reconnects).toBeGreaterThanOrEqual(1);
      expect(informer.health().relists).toBe(0);
      expect(cacheState(informer.list())).toEqual(await serverState(client, { namespace: ns }));
    } finally {
      await informer.stop();
      await proxied.close();
      await proxy.close();
    }
  });

  it("reconnects after every connection is reset, missing nothing", async () => {
    const ns = await freshNamespace(client, "inf-reset");
    const proxy = await FaultProxy.start({ target: client.connection.server });
    const proxied = new ApiClient({ ...client.connection, server: proxy.url() });
    const informer = sharedInformer(proxied, {
      kind: configMapKind,
      namespace: ns,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    const latest = new Map<string, string>();
    informer.subscribe((event) => {
      if (isRootCa(event)) return;
      latest.set(
        event.object.metadata?.name ?? "",
        event.type === "DELETED" ? "gone" : String((event.object as { data?: { v?: string } }).data?.v),
      );
    });
    try {
      informer.start();
      await informer.waitForSync(AbortSignal.timeout(20_000));
      for (let round = 0; round < 5; round++) {
        await createConfigMap(client, ns, `r${round}`, { v: "1" });
        proxy.resetAll();
        await updateConfigMap(client, ns, `r${round}`, { v: "2" });
        if (round % 2 === 0) await deleteConfigMap(client, ns, `r${round}`);
        await sleep(300);
      }
      await eventually(async () => (latest.size === 5 && latest.get("r4") === "gone" ? true : undefined), {
        what: "every final state",
      });
      expect(Object.fromEntries(latest)).toEqual({ r0: "gone", r1: "2", r2: "gone", r3: "2", r4: "gone" });
      expect(proxy.stats.resets).toBeGreaterThanOrEqual(5);
      expect(informer.health().reconnects).toBeGreaterThanOrEqual(1);
      expect(cacheState(informer.list())).toEqual(await serverState(client, { namespace: ns }));
    } finally {
      await informer.stop();
      await proxied.close();
      await proxy.close();
    }
  });
});
