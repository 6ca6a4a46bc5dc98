import { describe, expect, it } from "vitest";
import type { InformerHandler } from "../../../src/informer/types.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ClusterStore, type StoreFeed } from "../../../src/store/cluster-store.ts";
import type { StoreShardObject } from "../../../src/store/crd.ts";
import { StoreWriteError } from "../../../src/store/failures.ts";
import {
  type ImportOutcome,
  importMarkerEntry,
  importPeprStores,
  type PeprImportTarget,
  type PeprSource,
  parseMarker,
  peprStoreReader,
  planImport,
} from "../../../src/store/pepr-import.ts";
import {
  dataDigests,
  digestSet,
  type PeprStoreObject,
  peprPayload,
  readPeprData,
} from "../../../src/store/pepr-layout.ts";
import type { ShardApi } from "../../../src/store/shard-api.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";
import { FakeShardApi } from "./fake-shard-api.ts";

/** What Pepr 1.1.4 leaves in `data` after `setItem("a/b~c", …)`: the patch path is escaped, the stored key is not. */
const peprData = {
  __pepr_do_not_delete__: "k-thx-bye",
  "hello-v2-plain": "1",
  "hello-v2-https://example.com/a~b": "2",
  "hello-v2-": "empty key, skipped",
  "hello-old": "legacy",
  "hello-bar-v2-x": "belongs to hello-bar",
  "hello-bar-v2-y": "3",
  "other-v2-z": "no such capability here",
  "hello-v2-clash": "v2",
  "hello-clash": "legacy wins",
};

describe("Pepr's store layout", () => {
  it("strips the capability and v2 prefixes, reads legacy keys, gives each key to the longest capability name", () => {
    const { byCapability, unclaimed } = readPeprData(peprData, ["hello", "hello-bar"]);
    expect(Object.fromEntries(byCapability.get("hello") ?? [])).toEqual({
      plain: "1",
      "https://example.com/a~b": "2",
      old: "legacy",
      clash: "legacy wins",
    });
    expect(Object.fromEntries(byCapability.get("hello-bar") ?? [])).toEqual({ x: "belongs to hello-bar", y: "3" });
    expect(unclaimed).toBe(1);
  });

  it("skips values that are not strings", () => {
    const { byCapability } = readPeprData({ "c-v2-a": 1, "c-v2-b": "ok" } as Record<string, unknown>, ["c"]);
    expect(Object.fromEntries(byCapability.get("c") ?? [])).toEqual({ b: "ok" });
  });

  it("gives subscribers Pepr's keys: the capability stripped, v2- kept", () => {
    expect(peprPayload({ a: "1", "x/y": "2" })).toEqual({ "v2-a": "1", "v2-x/y": "2" });
  });
});

const source: PeprSource = { name: "pepr-u-store", capabilities: ["hello", "hello-bar"], prefixOf: (c) => c };

describe("planImport: a three-way merge with what was taken in last time", () => {
  it("takes every key on the first import and removes nothing", () => {
    const { writes, unclaimed } = planImport(source, peprData, new Set(), () => ({ mine: "kept" }));
    expect(writes).toHaveLength(6);
    expect(writes.every((w) => w.value !== null)).toBe(true);
    expect(unclaimed).toBe(1);
  });

  it("keeps capstan's newer values, takes Pepr's changes, drops keys Pepr removed", () => {
    const base = digestSet(dataDigests({ "hello-v2-a": "1", "hello-v2-b": "1", "hello-v2-gone": "1" }));
    const now = { "hello-v2-a": "1", "hello-v2-b": "2" };
    const ours = { a: "capstan wrote this later", b: "1", gone: "1", "capstan-only": "x" };
    const { writes } = planImport(source, now, base, (prefix) => (prefix === "hello" ? ours : {}));
    expect(writes).toEqual([
      { prefix: "hello", key: "b", value: "2", from: ["hello-v2-b", "hello-b"] },
      { prefix: "hello", key: "gone", value: null, from: ["hello-v2-gone", "hello-gone"] },
    ]);
  });

  it("converts values for a schedule source and skips what it cannot convert", () => {
    const schedules: PeprSource = {
      name: "pepr-u-schedule",
      capabilities: ["hello"],
      prefixOf: (c) => `schedule:${c}`,
      convert: (_c, key, value) => (key === "known" ? `converted ${value}` : undefined),
    };
    const { writes } = planImport(schedules, { "hello-v2-known": "r", "hello-v2-gone": "r" }, new Set(), () => ({}));
    expect(writes).toEqual([
      { prefix: "schedule:hello", key: "known", value: "converted r", from: ["hello-v2-known", "hello-known"] },
    ]);
  });
});

/** A feed whose events a shared fake cluster pushes. */
class FakeFeed implements StoreFeed {
  handler: InformerHandler<StoreShardObject> | undefined;
  readonly objects = new Map<string, StoreShardObject>();
  #synced = Promise.withResolvers<void>();
  subscribe(handler: InformerHandler<StoreShardObject>) {
    this.handler = handler;
    return () => {
      this.handler = undefined;
    };
  }
  start() {}
  sync() {
    this.#synced.resolve();
  }
  waitForSync() {
    return this.#synced.promise;
  }
  async stop() {}
  list() {
    return [...this.objects.values()];
  }
  deliver(object: StoreShardObject) {
    this.objects.set(object.metadata?.name ?? "", object);
    void this.handler?.({ type: "MODIFIED", object });
  }
}

/** Several replicas over one fake API server: every stored object reaches every replica's feed, like a watch. */
class FakeCluster {
  readonly api = new FakeShardApi();
  readonly clock = new FakeClock();
  readonly feeds: FakeFeed[] = [];
  readonly shared: ShardApi = {
    patch: async (shard, operations) => this.#broadcast(await this.api.patch(shard, operations)),
    create: async (shard, data) => {
      const created = await this.api.create(shard, data);
      return created && this.#broadcast(created);
    },
    read: (shard) => this.api.read(shard),
  };

  #broadcast(object: StoreShardObject): StoreShardObject {
    for (const feed of this.feeds) feed.deliver(object);
    return object;
  }

  async replica(): Promise<{ backend: ClusterStore; store: Store }> {
    const feed = new FakeFeed();
    for (const shard of this.api.shards.keys()) {
      const object = await this.api.read(shard);
      if (object) feed.objects.set(shard, object);
    }
    this.feeds.push(feed);
    const backend = new ClusterStore({
      client: {} as ApiClient,
      namespace: "pepr-system",
      name: "pepr-u-store",
      clock: this.clock,
      api: this.shared,
      feed,
    });
    const store = new Store("hello");
    store.attach(backend);
    backend.start();
    feed.sync();
    await settle();
    return { backend, store };
  }

  /** Advances the fake clock until the promise settles. */
  async drive<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    void promise.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    for (let i = 0; i < 2000 && !done; i++) await this.clock.advance(50);
    return promise;
  }
}

function peprObject(data: Record<string, string>, resourceVersion: string): PeprStoreObject {
  return { metadata: { name: "pepr-u-store", namespace: "pepr-system", resourceVersion }, data };
}

describe("importPeprStores", () => {
  it("imports once per PeprStore version; a restart takes in only what Pepr changed since", async () => {
    const cluster = new FakeCluster();
    let object = peprObject({ __pepr_do_not_delete__: "k-thx-bye", "hello-v2-a": "1", "hello-v2-b": "1" }, "10");
    const read = async () => object;
    const { backend, store } = await cluster.replica();
    const [first] = await cluster.drive(importPeprStores(backend, { sources: [source], read, identity: "one" }));
    expect(first).toMatchObject({ outcome: "imported", written: 2, removed: 0 });
    expect([store.getItem("a"), store.getItem("b")]).toEqual(["1", "1"]);
    expect(parseMarker(backend.getEntry(importMarkerEntry("pepr-u-store")))).toMatchObject({
      state: "done",
      resourceVersion: "10",
      keys: 2,
    });

    await cluster.drive(store.setItemAndWait("a", "capstan"));
    const [again] = await cluster.drive(importPeprStores(backend, { sources: [source], read, identity: "one" }));
    expect(again?.outcome).toBe("current");
    expect(store.getItem("a")).toBe("capstan");

    // Pepr wrote b (its pods still served during the switch): b is taken in, capstan's a stays.
    object = peprObject({ "hello-v2-a": "1", "hello-v2-b": "pepr" }, "11");
    const [merged] = await cluster.drive(importPeprStores(backend, { sources: [source], read, identity: "one" }));
    expect(merged).toMatchObject({ outcome: "imported", written: 1, removed: 0 });
    expect([store.getItem("a"), store.getItem("b")]).toEqual(["capstan", "pepr"]);
  });

  it("lets one of several replicas starting at once import; the others wait for it and write nothing", async () => {
    const cluster = new FakeCluster();
    const data: Record<string, string> = {};
    for (let i = 0; i < 300; i++) data[`hello-v2-k${i}`] = `v${i}`;
    const read = async () => peprObject(data, "7");
    const replicas = await Promise.all([cluster.replica(), cluster.replica(), cluster.replica()]);
    const outcomes = await cluster.drive(
      Promise.all(replicas.map((r, i) => importPeprStores(r.backend, { sources: [source], read, identity: `r${i}` }))),
    );
    const kinds = outcomes.map(([o]) => (o as ImportOutcome).outcome).sort();
    expect(kinds).toEqual(["by-other", "by-other", "imported"]);
    const writes = cluster.api.patches
      .flatMap((p) => p.operations)
      .filter((op) => op.op === "add" && op.path.includes("k1"));
    // k1, k10..k19, k100..k199: each written once, by the importer alone.
    expect(writes).toHaveLength(111);
    for (const { store } of replicas) expect(store.getItem("k299")).toBe("v299");
  });

  it("takes over the claim of a replica that died mid-import, and waits for a live one", async () => {
    const cluster = new FakeCluster();
    const read = async () => peprObject({ "hello-v2-a": "1" }, "3");
    const { backend, store } = await cluster.replica();
    const entry = importMarkerEntry("pepr-u-store");
    const claim = (by: string, heartbeat: number) =>
      backend.updateEntry(entry, () =>
        JSON.stringify({ state: "importing", by, heartbeat: new Date(heartbeat).toISOString() }),
      );

    await cluster.drive(claim("dead", cluster.clock.now() - 60_000));
    const [tookOver] = await cluster.drive(importPeprStores(backend, { sources: [source], read, identity: "me" }));
    expect(tookOver?.outcome).toBe("imported");
    expect(store.getItem("a")).toBe("1");

    await cluster.drive(backend.updateEntry(entry, () => null));
    await cluster.drive(claim("alive", cluster.clock.now()));
    const waiting = importPeprStores(backend, { sources: [source], read, identity: "me", staleMs: 30_000 });
    await cluster.clock.advance(5_000);
    expect(parseMarker(backend.getEntry(entry))?.by).toBe("alive");
    await cluster.drive(
      backend.updateEntry(entry, () =>
        JSON.stringify({ state: "done", resourceVersion: "3", seen: dataDigests({ "hello-v2-a": "1" }) }),
      ),
    );
    const [waited] = await cluster.drive(waiting);
    expect(waited?.outcome).toBe("by-other");
  });

  it("stops waiting for another replica's import when its store closes", async () => {
    const cluster = new FakeCluster();
    const { backend } = await cluster.replica();
    await cluster.drive(
      backend.updateEntry(importMarkerEntry("pepr-u-store"), () =>
        JSON.stringify({ state: "importing", by: "alive", heartbeat: new Date(cluster.clock.now()).toISOString() }),
      ),
    );
    const closing = new AbortController();
    const read = async () => peprObject({ "hello-v2-a": "1" }, "3");
    const waiting = importPeprStores(backend, { sources: [source], read, identity: "me", signal: closing.signal });
    await cluster.clock.advance(1_000);
    closing.abort(new Error("closed"));
    await expect(cluster.drive(waiting)).rejects.toThrow("closed");
  });

  it("keeps a store not ready while its beforeReady step fails, and retries it", async () => {
    const cluster = new FakeCluster();
    const feed = new FakeFeed();
    let calls = 0;
    const backend = new ClusterStore({
      client: {} as ApiClient,
      namespace: "pepr-system",
      name: "pepr-u-store",
      clock: cluster.clock,
      api: cluster.shared,
      feed,
      createShardsAhead: false,
      beforeReady: async () => {
        if (++calls === 1) throw new Error("403 Forbidden");
      },
    });
    backend.start();
    feed.sync();
    await settle();
    expect(backend.ready).toBe(false);
    await cluster.drive(backend.whenReady());
    expect([backend.ready, calls]).toEqual([true, 2]);
  });

  it("reports a key the store refuses, imports the rest, and tries that key again on the next start of the same version", async () => {
    const clock = new FakeClock();
    const entries = new Map<string, string>();
    let refuse = true;
    const target: PeprImportTarget = {
      clock,
      getEntry: (entry) => entries.get(entry) ?? null,
      async updateEntry(entry, fn) {
        const next = fn(entries.get(entry) ?? null);
        if (next === null) entries.delete(entry);
        else entries.set(entry, next);
        return next;
      },
      snapshot: (prefix) =>
        Object.fromEntries(
          [...entries].filter(([e]) => e.startsWith(`${prefix}/`)).map(([e, v]) => [e.slice(prefix.length + 1), v]),
        ),
      async write(prefix, key, value) {
        if (refuse && key === "bad") throw new StoreWriteError(`${prefix}/${key}`, "refused (422 Invalid)");
        if (value === null) entries.delete(`${prefix}/${key}`);
        else entries.set(`${prefix}/${key}`, value);
      },
    };
    const object = peprObject({ "hello-v2-good": "1", "hello-v2-bad": "2" }, "5");
    const read = async () => object;
    const [first] = await importPeprStores(target, { sources: [source], read, identity: "me" });
    expect(first).toMatchObject({ outcome: "imported", written: 1 });
    expect(target.snapshot("hello")).toEqual({ good: "1" });

    refuse = false;
    const [second] = await importPeprStores(target, { sources: [source], read, identity: "me" });
    expect(second).toMatchObject({ outcome: "imported", written: 1 });
    expect(target.snapshot("hello")).toEqual({ good: "1", bad: "2" });
  });

  it("does nothing without a PeprStore", async () => {
    const cluster = new FakeCluster();
    const { backend } = await cluster.replica();
    const [outcome] = await cluster.drive(
      importPeprStores(backend, { sources: [source], read: async () => undefined }),
    );
    expect(outcome?.outcome).toBe("absent");
    expect(cluster.api.patches).toHaveLength(0);
  });
});

describe("peprStoreReader", () => {
  it("reads a missing PeprStore as absent and says which permission a 403 lacks", async () => {
    const failing = (status: number) =>
      ({
        request: async () => {
          throw FakeShardApi.error(status, "nope");
        },
      }) as unknown as ApiClient;
    await expect(peprStoreReader(failing(404), "pepr-system")("pepr-u-store")).resolves.toBeUndefined();
    await expect(peprStoreReader(failing(403), "pepr-system")("pepr-u-store")).rejects.toThrow(
      "cannot read peprstore pepr-u-store in pepr-system (403): the module's Role needs get on pepr.dev peprstores there",
    );
  });
});

describe("Pepr mode payloads", () => {
  it("subscribe and onReady give v2- keys in pepr mode, plain keys otherwise", async () => {
    const cluster = new FakeCluster();
    const { backend } = await cluster.replica();
    const pepr = new Store("other", { payloadKeys: "pepr" });
    pepr.attach(backend);
    const seen: Record<string, string>[] = [];
    pepr.subscribe((data) => seen.push({ ...data }));
    pepr.setItem("a/b", "1");
    await cluster.clock.advance(10);
    expect(seen.at(-1)).toEqual({ "v2-a/b": "1" });
    const ready = await new Promise<Record<string, string>>((resolve) => pepr.onReady(resolve));
    expect(ready).toEqual({ "v2-a/b": "1" });
    expect(pepr.getItem("a/b")).toBe("1");
  });
});
