import { describe, expect, it } from "vitest";
import type { InformerHandler } from "../../../src/informer/types.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ClusterStore, type StoreFeed } from "../../../src/store/cluster-store.ts";
import type { StoreShardObject } from "../../../src/store/crd.ts";
import { entryPath, SHARD_LIMIT_BYTES, SHARD_LIMIT_ENTRIES, ShardLayout } from "../../../src/store/layout.ts";
import type { ShardApi } from "../../../src/store/shard-api.ts";
import { WHILE_OPEN } from "../../../src/store/shard-api.ts";
import { finishSplit, splitShard } from "../../../src/store/shard-split.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";
import { FakeShardApi } from "./fake-shard-api.ts";

const layout = new ShardLayout("mod");

/** Keys of capability "cap" whose entries live under a path prefix. */
function keysUnder(prefix: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (entryPath(`cap/k${i}`).startsWith(prefix)) keys.push(`k${i}`);
  return keys;
}

/** A feed that has synced and delivers nothing: each replica learns only from its own requests. */
const silentFeed = (): StoreFeed => ({
  subscribe: (_handler: InformerHandler<StoreShardObject>) => () => {},
  start() {},
  waitForSync: async () => {},
  stop: async () => {},
  list: () => [],
});

async function replica(api: ShardApi, clock: FakeClock) {
  const backend = new ClusterStore({
    client: {} as ApiClient,
    namespace: "ns",
    name: "mod",
    clock,
    api,
    feed: silentFeed(),
  });
  const store = new Store("cap");
  store.attach(backend);
  backend.start();
  await settle();
  return { backend, store };
}

describe("splitting full shards", () => {
  it("seals, copies and marks: the children hold the halves and the parent stays as a marker nobody writes", async () => {
    const api = new FakeShardApi();
    const left = keysUnder("0100", 3).map((k) => `cap/${k}`);
    const right = keysUnder("0101", 3).map((k) => `cap/${k}`);
    await api.create("mod-010", Object.fromEntries([...left, ...right].map((e) => [e, "v"])));
    const result = await splitShard(api, layout, "mod-010");
    expect(result.outcome).toBe("split");
    expect(api.shards.get("mod-010")).toMatchObject({ state: "split", data: {} });
    expect(Object.keys(api.shards.get("mod-0100")?.data ?? {}).sort()).toEqual([...left].sort());
    expect(Object.keys(api.shards.get("mod-0101")?.data ?? {}).sort()).toEqual([...right].sort());
    // A writer that has not heard of the split cannot land a write in the parent, nor create it again.
    await expect(
      api.patch("mod-010", [WHILE_OPEN, { op: "add", path: "/data/cap~1late", value: "x" }]),
    ).rejects.toThrow(/rejected our request/);
    expect(await api.create("mod-010", { "cap/late": "x" })).toBeUndefined();
    expect(await finishSplit(api, layout, "mod-010")).toMatchObject({ outcome: "split" });
    expect(await finishSplit(api, layout, "mod-011")).toEqual({ outcome: "missing" });
  });

  it("a split that stopped after sealing is finished by whoever finds the shard sealed, and children written since are kept", async () => {
    const api = new FakeShardApi();
    const [left] = keysUnder("0010", 1).map((k) => `cap/${k}`);
    const entry = left ?? "";
    await api.create("mod-001", { [entry]: "frozen" });
    await api.patch("mod-001", [WHILE_OPEN, { op: "replace", path: "/state", value: "sealed" }]);
    expect(await finishSplit(api, layout, "mod-001")).toMatchObject({ outcome: "split" });
    api.externalWrite("mod-0010", entry, "newer");
    // A late finisher that read the sealed parent before: its create of an existing child changes nothing.
    expect(await api.create("mod-0010", { [entry]: "frozen" })).toBeUndefined();
    expect(await finishSplit(api, layout, "mod-001")).toMatchObject({ outcome: "split" });
    expect(api.shards.get("mod-0010")?.data[entry]).toBe("newer");
    await api.create("mod-000");
    expect(await finishSplit(api, layout, "mod-000")).toEqual({ outcome: "open" });
  });

  it("a store splits a shard before it overflows and loses no write, while a stale replica keeps writing the parent", async () => {
    const clock = new FakeClock();
    const api = new FakeShardApi();
    const one = await replica(api, clock);
    const other = await replica(api, clock);
    const value = "x".repeat(100 * 1024);
    const keys = keysUnder("101", 12);
    const early = keys.slice(0, 4);
    for (const key of early) one.store.setItem(key, value);
    await clock.advance(0);
    // The other replica's feed is silent: it never hears of the split and still writes the parent.
    other.store.setItem("seen", "1");
    await clock.advance(0);
    for (const key of keys.slice(4)) one.store.setItem(key, value);
    await clock.advance(0);
    await one.backend.flushed();
    expect(api.shards.get("mod-101")?.state).toBe("split");
    const shards = [...api.shards.keys()].filter(
      (name) => name.startsWith("mod-101") && api.shards.get(name)?.state === "open",
    );
    expect(shards.length).toBeGreaterThanOrEqual(2);
    for (const name of shards) {
      const bytes = Object.entries(api.shards.get(name)?.data ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
      expect(bytes).toBeLessThanOrEqual(SHARD_LIMIT_BYTES);
    }
    const stale = keysUnder("101", 13).at(-1) ?? "";
    const written = other.store.setItemAndWait(stale, "from the stale replica");
    await clock.advance(0);
    await expect(written).resolves.toBe("ok");
    await other.backend.flushed();
    const all = Object.assign({}, ...[...api.shards.values()].map((s) => s.data));
    for (const key of keys) expect(all[`cap/${key}`]).toBe(value);
    expect(all[`cap/${stale}`]).toBe("from the stale replica");
    for (const key of keys) expect(one.store.getItem(key)).toBe(value);
    expect(other.store.getItem(stale)).toBe("from the stale replica");
  });

  it("splits a shard before it holds more than SHARD_LIMIT_ENTRIES entries, however small", async () => {
    const clock = new FakeClock();
    const api = new FakeShardApi();
    const { backend, store } = await replica(api, clock);
    const keys = keysUnder("110", SHARD_LIMIT_ENTRIES + 10);
    for (const key of keys) store.setItem(key, "1");
    await clock.advance(0);
    await backend.flushed();
    expect(api.shards.get("mod-110")?.state).toBe("split");
    const open = [...api.shards.entries()].filter(([name, s]) => name.startsWith("mod-110") && s.state === "open");
    for (const [, shard] of open) expect(Object.keys(shard.data).length).toBeLessThanOrEqual(SHARD_LIMIT_ENTRIES);
    expect(open.reduce((n, [, shard]) => n + Object.keys(shard.data).length, 0)).toBe(keys.length);
  });

  it("update finds a key whose shard was split under it", async () => {
    const clock = new FakeClock();
    const api = new FakeShardApi();
    const { store } = await replica(api, clock);
    const [key] = keysUnder("011", 1);
    const counter = key ?? "";
    await clock.advance(0);
    const first = store.update(counter, (v) => String(Number(v ?? 0) + 1));
    await clock.advance(0);
    await expect(first).resolves.toBe("1");
    expect(await splitShard(api, layout, "mod-011")).toMatchObject({ outcome: "split" });
    const second = store.update(counter, (v) => String(Number(v ?? 0) + 1));
    await clock.advance(0);
    await expect(second).resolves.toBe("2");
    expect(api.shards.get("mod-011")?.state).toBe("split");
    const all = Object.assign({}, ...[...api.shards.values()].map((s) => s.data));
    expect(all[`cap/${counter}`]).toBe("2");
  });
});
