import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ClusterStore } from "../../../src/store/cluster-store.ts";
import type { StoreShardObject } from "../../../src/store/crd.ts";
import { StoreWriteError } from "../../../src/store/failures.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { entryPath } from "../../../src/store/layout.ts";
import { STORE_LABEL } from "../../../src/store/shard-api.ts";
import { Store } from "../../../src/store/store.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let namespace: string;
const backends: ClusterStore[] = [];
const clients: ApiClient[] = [];

/** A running store with one capability view; each call is a separate replica (its own client and watch, like another pod). */
async function replica(name: string, options: { capability?: string; namespace?: string } = {}) {
  const own = await ApiClient.fromKubeconfig({ kubeconfig: inject("kubeconfig") });
  clients.push(own);
  const backend = new ClusterStore({ client: own, namespace: options.namespace ?? namespace, name });
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

  it("splits a shard before it outgrows etcd's object limit and keeps every value", async () => {
    const writer = await replica("full");
    // Eight 400 KB values whose keys all live in the same top-level shard: 3.2 MB where etcd takes 1.5 MiB per object.
    const keys: string[] = [];
    for (let i = 0; keys.length < 8; i++) if (entryPath(`cap/big-${i}`).startsWith("101")) keys.push(`big-${i}`);
    const big = (key: string) => key.padEnd(400 * 1024, "x");
    const results = await Promise.allSettled(keys.map((key) => writer.store.setItemAndWait(key, big(key))));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const reader = await replica("full");
    for (const key of keys) expect(reader.store.getItem(key)).toBe(big(key));
    const objects = await shards("full");
    const split = objects.filter((s) => s.state === "split").map((s) => s.metadata?.name);
    expect(split).toContain("full-101");
    expect(Math.max(...objects.map((s) => JSON.stringify(s).length))).toBeLessThan(1_400_000);
  });

  it("rejects the writes the API server refuses, with the reason and without the value", async () => {
    const { store } = await replica("nowhere", { namespace: "no-such-namespace" });
    const refused = await store.setItemAndWait("k", "SECRET-VALUE-1234").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreWriteError);
    expect(String(refused)).toMatch(/404 NotFound/);
    expect(String(refused)).toMatch(/no-such-namespace/);
    expect(String(refused)).not.toContain("SECRET-VALUE-1234");
    expect(store.getItem("k")).toBeNull();
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
      `[store] 20 MB in 2,000 keys: written in ${written} ms, loaded by a new replica in ${loaded} ms; ${objects.length} shards (${objects.filter((s) => s.state === "split").length} split), largest ${Math.max(...sizes)} bytes`,
    );
    expect(Math.max(...sizes)).toBeLessThan(1_400_000);
  });
});
