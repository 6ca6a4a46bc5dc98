import { describe, expect, it } from "vitest";
import type { InformerHandler } from "../../../src/informer/types.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ClusterStore, type StoreFeed } from "../../../src/store/cluster-store.ts";
import type { StoreShardObject } from "../../../src/store/crd.ts";
import { StoreWriteError } from "../../../src/store/failures.ts";
import { StoreInputError } from "../../../src/store/keys.ts";
import { entryPath, MIN_DEPTH, ShardLayout } from "../../../src/store/layout.ts";
import { MemoryStore } from "../../../src/store/memory-store.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";
import { FakeShardApi } from "./fake-shard-api.ts";

/** A feed whose events the test pushes (the informer's role). */
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

const layout = new ShardLayout("mod");
/** The top-level shard a key of capability "cap" lives in. */
const at = (key: string) => layout.nameAt(entryPath(`cap/${key}`), MIN_DEPTH);
/** Another key that lives in the same top-level shard as `key`. */
const neighbourOf = (key: string) => {
  for (let i = 0; ; i++) if (at(`k${i}`) === at(key)) return `k${i}`;
};
/** Everything stored, across shards. */
const stored = (api: FakeShardApi) => Object.assign({}, ...[...api.shards.values()].map((shard) => shard.data));

async function setup(options: { createShardsAhead?: boolean } = {}) {
  const clock = new FakeClock();
  const api = new FakeShardApi();
  const feed = new FakeFeed();
  const backend = new ClusterStore({
    client: {} as ApiClient,
    namespace: "ns",
    name: "mod",
    createShardsAhead: options.createShardsAhead ?? false,
    clock,
    api,
    feed,
  });
  const store = new Store("cap");
  store.attach(backend);
  backend.start();
  feed.sync();
  await settle();
  return { clock, api, feed, backend, store };
}

describe("ClusterStore and Store", () => {
  it("reads its own writes at once, resolves setItemAndWait on acknowledgement, and sees others' writes via the feed", async () => {
    const { clock, api, feed, store } = await setup();
    store.setItem("a", "1");
    expect(store.getItem("a")).toBe("1");
    const waited = store.setItemAndWait("b", "2");
    await clock.advance(0);
    await expect(waited).resolves.toBe("ok");
    expect(stored(api)).toEqual({ "cap/a": "1", "cap/b": "2" });
    feed.deliver(api.externalWrite(at("c"), "cap/c", "3"));
    expect(store.getItem("c")).toBe("3");
    const removal = store.removeItemAndWait("missing");
    await clock.advance(0);
    await expect(removal).resolves.toBe("ok");
  });

  it("creates a shard its synced replica has not seen with the first values, then patches it", async () => {
    const { clock, api, store } = await setup();
    store.setItem("a", "1");
    store.removeItem("gone");
    await clock.advance(0);
    expect(api.creates).toContainEqual({ shard: at("a"), data: { "cap/a": "1" } });
    expect(api.patches).toEqual([]);
    const creates = api.creates.length;
    store.setItem("a", "2");
    await clock.advance(0);
    expect(api.creates).toHaveLength(creates);
    expect(api.patches).toHaveLength(1);
    expect(api.shards.get(at("a"))?.data).toEqual({ "cap/a": "2" });
  });

  it("patches a shard it has not seen yet when another replica created it first", async () => {
    const { clock, api, store } = await setup();
    const ours = neighbourOf("theirs");
    api.externalWrite(at("theirs"), "cap/theirs", "x");
    const written = store.setItemAndWait(ours, "1");
    await clock.advance(0);
    await expect(written).resolves.toBe("ok");
    expect(api.creates).toHaveLength(1);
    expect(api.shards.get(at("theirs"))?.data).toEqual({ "cap/theirs": "x", [`cap/${ours}`]: "1" });
    expect(store.getItem("theirs")).toBe("x");
  });

  it("gives subscribers the capability's data with plain keys, coalesced, and onReady once", async () => {
    const { clock, store, feed, api } = await setup();
    const calls: Record<string, string>[] = [];
    const unsubscribe = store.subscribe((data) => calls.push({ ...data }));
    const ready: Record<string, string>[] = [];
    store.onReady((data) => ready.push(data));
    store.setItem("x", "1");
    store.setItem("y", "2");
    await clock.advance(0);
    expect(calls).toEqual([{ x: "1", y: "2" }]);
    expect(ready).toEqual([{ x: "1", y: "2" }]);
    feed.deliver(api.externalWrite(at("x"), "other/z", "not ours"));
    await clock.advance(10);
    expect(calls).toHaveLength(1);
    unsubscribe();
    store.setItem("x", "3");
    await clock.advance(10);
    expect(calls).toHaveLength(1);
  });

  it("rejects a refused write's promise with the reason but not the value, and drops it from the local view", async () => {
    const { clock, api, store } = await setup();
    api.refuseValue = "SECRET-VALUE";
    const refused = store.setItemAndWait("k", "SECRET-VALUE-123").catch((e: unknown) => e);
    expect(store.getItem("k")).toBe("SECRET-VALUE-123");
    await clock.advance(0);
    const error = await refused;
    expect(error).toBeInstanceOf(StoreWriteError);
    expect(String(error)).toMatch(/refused the store write of "cap\/k" \(500 InternalError\): .*too large/);
    expect(String(error)).not.toContain("SECRET-VALUE-123");
    expect(store.getItem("k")).toBeNull();
  });

  it("times out setItemAndWait after 15 s while the write keeps being retried", async () => {
    const { clock, api, store } = await setup();
    await api.create(at("k"));
    for (let i = 0; i < 10; i++) api.failNext.push(FakeShardApi.error(503, "down"));
    const waited = store.setItemAndWait("k", "v").catch((e: Error) => e.message);
    await clock.advance(15_000);
    expect(await waited).toMatch(/MAX_WAIT_TIME elapsed: Key k not acknowledged in 15s; the write stays queued/);
    await clock.advance(120_000);
    expect(api.shards.get(at("k"))?.data).toEqual({ "cap/k": "v" });
  });

  it("update retries on a concurrent change and never loses an increment", async () => {
    const { clock, api, store, feed } = await setup();
    const increment = (v: string | null) => String(Number(v ?? 0) + 1);
    const first = store.update("n", increment);
    await clock.advance(0);
    await expect(first).resolves.toBe("1");
    // Someone else increments; our replica has not seen it yet, so the test op fails and update re-reads.
    api.externalWrite(at("n"), "cap/n", "5");
    const second = store.update("n", increment);
    await clock.advance(1000);
    await expect(second).resolves.toBe("6");
    feed.deliver((await api.read(at("n"))) ?? {});
    expect(store.getItem("n")).toBe("6");
    await expect(store.update("n", () => null)).resolves.toBeNull();
    expect(api.shards.get(at("n"))?.data).toEqual({});
  });

  it("update rejects a value the server refuses for good, with the reason", async () => {
    const { clock, api, store } = await setup();
    await api.create(at("k"));
    api.refuseValue = "too-big";
    const refused = store.update("k", () => "too-big").catch((e: unknown) => e);
    await clock.advance(5_000);
    const error = await refused;
    expect(error).toBeInstanceOf(StoreWriteError);
    expect(String(error)).toMatch(/too large/);
    expect(String(error)).not.toContain("(value too-big)");
  });

  it("validates input before anything is sent", async () => {
    const { store } = await setup();
    expect(() => store.setItem("k", 5 as unknown as string)).toThrow(StoreInputError);
    expect(() => store.update("k", "x" as unknown as () => null)).toThrow(/must be a function/);
    await expect(store.update("k", () => 5 as unknown as string)).rejects.toThrow(/must be a string/);
    expect(() => new Store("a/b")).toThrow(/without "\/"/);
    expect(() => new Store("schedule:x")).toThrow(/reserved for schedules/);
  });

  it("a detached Store reads null, keeps early subscribers and onReady, and refuses writes with a clear error", async () => {
    const store = new Store("cap");
    expect(store.getItem("k")).toBeNull();
    expect(() => store.setItem("k", "v")).toThrow(
      /before the module started; use the Store in actions or in Store.onReady/,
    );
    const ready: Record<string, string>[] = [];
    const seen: Record<string, string>[] = [];
    store.onReady((data) => ready.push(data));
    store.subscribe((data) => seen.push(data));
    const backend = new MemoryStore();
    await backend.write("cap", "k", "v");
    store.attach(backend);
    expect(() => store.attach(backend)).toThrow("Store already registered for cap");
    await settle();
    expect(ready).toEqual([{ k: "v" }]);
    store.setItem("k2", "v2");
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen.at(-1)).toEqual({ k: "v", k2: "v2" });
  });
});
