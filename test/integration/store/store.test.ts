import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ClusterStore } from "../../../src/store/cluster-store.ts";
import type { StoreShardObject } from "../../../src/store/crd.ts";
import { StoreWriteError } from "../../../src/store/failures.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { STORE_LABEL } from "../../../src/store/shard-api.ts";
import { Store } from "../../../src/store/store.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let namespace: string;
const backends: ClusterStore[] = [];
const clients: ApiClient[] = [];

/** A running store with one capability view; each call is a separate replica (its own client and watch, like another pod). */
async function replica(name: string, options: { shards?: number; capability?: string } = {}) {
  const own = await ApiClient.fromKubeconfig({ kubeconfig: inject("kubeconfig") });
  clients.push(own);
  const backend = new ClusterStore({ client: own, namespace, name, shards: options.shards });
  backends.push(backend);
  const store = new Store(options.capability ?? "cap");
  store.attach(backend);
  backend.start();
  await backend.whenReady();
  return { backend, store };
}

async function shards(name: string): Promise<StoreShardObject[]> {
  const list = await client.request<{ items: StoreShardObject[] }>({
    path: `/apis/capstan.dev/v1/namespaces/${namespace}/capstanstores`,
    query: { labelSelector: `${STORE_LABEL}=${name}` },
  });
  return list.items;
}

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  namespace = await freshNamespace(client, "store");
});

afterAll(async () => {
  await Promise.all(backends.map((b) => b.close({ timeoutMs: 2000 })));
  await Promise.all([client, ...clients].map((c) => c?.close()));
});

describe("Store against the API server", () => {
  it("keeps Pepr's API: writes are readable at once here and on other replicas once acknowledged", async () => {
    const a = await replica("api");
    const b = await replica("api");
    const seen: Record<string, string>[] = [];
    const unsubscribe = b.store.subscribe((data) => seen.push({ ...data }));

    a.store.setItem("plain", "1");
    expect(a.store.getItem("plain")).toBe("1");
    await expect(a.store.setItemAndWait("https://example.com/a~b", "2")).resolves.toBe("ok");
    await eventually(async () => (b.store.getItem("https://example.com/a~b") === "2" ? true : undefined));
    await eventually(async () => (b.store.getItem("plain") === "1" ? true : undefined));
    await eventually(async () => (seen.at(-1)?.["https://example.com/a~b"] === "2" ? true : undefined));
    expect(seen.at(-1)).toEqual({ plain: "1", "https://example.com/a~b": "2" });

    // Keys stay readable in the objects (what `kubectl get capstanstores -o yaml` shows).
    const entries = Object.assign({}, ...(await shards("api")).map((s) => s.data));
    expect(entries).toEqual({ "cap/plain": "1", "cap/https://example.com/a~b": "2" });

    await expect(a.store.removeItemAndWait("never-set")).resolves.toBe("ok");
    await expect(a.store.removeItemAndWait("plain")).resolves.toBe("ok");
    await eventually(async () => (b.store.getItem("plain") === null ? true : undefined));
    unsubscribe();

    a.store.clear();
    expect(a.store.getItem("https://example.com/a~b")).toBeNull();
    await eventually(async () => (Object.keys(b.backend.snapshot("cap")).length === 0 ? true : undefined));

    const ready = await new Promise<Record<string, string>>((resolve) => b.store.onReady(resolve));
    expect(ready).toEqual({});
  });

  it("capabilities do not see each other's keys", async () => {
    const one = await replica("caps", { capability: "one" });
    const two = new Store("two");
    two.attach(one.backend);
    await one.store.setItemAndWait("k", "from one");
    await two.setItemAndWait("k", "from two");
    expect(one.store.getItem("k")).toBe("from one");
    expect(two.getItem("k")).toBe("from two");
  });

  it("update is atomic, creates and removes keys", async () => {
    const { store } = await replica("update");
    await expect(store.update("n", (v) => String(Number(v ?? 0) + 1))).resolves.toBe("1");
    await Promise.all(Array.from({ length: 20 }, () => store.update("n", (v) => String(Number(v ?? 0) + 1))));
    expect(store.getItem("n")).toBe("21");
    await expect(store.update("n", () => null)).resolves.toBeNull();
    expect(store.getItem("n")).toBeNull();
  });

  it("rejects exactly the writes the API server refuses, with the reason and without the value", async () => {
    const { store } = await replica("full", { shards: 1 });
    // etcd takes at most 1.5 MiB per object: three 400 KB values fit in the one shard, a fourth does not.
    const big = (c: string) => c.repeat(400 * 1024);
    const names = ["a", "b", "c", "d", "e"];
    const results = await Promise.allSettled(names.map((c) => store.setItemAndWait(`big-${c}`, big(c))));
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(fulfilled).toHaveLength(3);
    expect(rejected).toHaveLength(2);
    for (const reason of rejected) {
      expect(reason).toBeInstanceOf(StoreWriteError);
      expect(String(reason)).toMatch(/too large/);
      expect(String(reason)).not.toMatch(/(.)\1{20}/);
    }
    // The refused writes are not left visible locally.
    expect(names.filter((c) => store.getItem(`big-${c}`) !== null)).toHaveLength(3);
  });

  it("holds 20 MB across 2,000 keys and a new replica loads all of it", async () => {
    const writer = await replica("large");
    const value = (i: number) => `${i}:`.padEnd(10 * 1024, "x");
    const started = Date.now();
    // setItem and wait for the flush: on a loaded machine 20 MB can take longer than setItemAndWait's 15 s.
    for (let i = 0; i < 2000; i++) writer.store.setItem(`k${i}`, value(i));
    await writer.backend.flushed();
    const written = Date.now() - started;
    const reader = await replica("large");
    const loaded = Date.now() - started - written;
    const data = reader.backend.snapshot("cap");
    expect(Object.keys(data)).toHaveLength(2000);
    for (let i = 0; i < 2000; i++) expect(data[`k${i}`]).toBe(value(i));
    const objects = await shards("large");
    const sizes = objects.map((s) => JSON.stringify(s).length);
    console.log(
      `[store] 20 MB in 2,000 keys: written in ${written} ms, loaded by a new replica in ${loaded} ms; ${objects.length} shards, largest ${Math.max(...sizes)} bytes`,
    );
    expect(Math.max(...sizes)).toBeLessThan(1_400_000);
  });
});
