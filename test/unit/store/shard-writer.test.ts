import { describe, expect, it } from "vitest";
import { Limiter } from "../../../src/store/limiter.ts";
import { initialData, operationsOf, type PendingWrite, ShardWriter } from "../../../src/store/shard-writer.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";
import { FakeShardApi } from "./fake-shard-api.ts";

function setup(options: { maxOperations?: number; missing?: () => boolean } = {}) {
  const clock = new FakeClock();
  const api = new FakeShardApi();
  const acked: string[][] = [];
  const rejected: { entry: string; error: unknown }[] = [];
  const retries: number[] = [];
  const writer = new ShardWriter({
    shard: "s-0",
    api,
    clock,
    limiter: new Limiter(4),
    maxOperations: options.maxOperations,
    missing: options.missing,
    // Like ClusterStore: the hooks answer the writers.
    hooks: {
      acked: (writes) => {
        acked.push(writes.map((w) => w.entry));
        for (const waiter of writes.flatMap((w) => w.waiters)) waiter.resolve();
      },
      rejected: (write, error) => {
        rejected.push({ entry: write.entry, error });
        for (const waiter of write.waiters) waiter.reject(error);
      },
      retrying: (_error, delayMs) => retries.push(delayMs),
      split: async () => false,
      closed: async () => false,
      moved: () => {
        throw new Error("a writer of a shard that is not split hands nothing back");
      },
    },
  });
  let seq = 0;
  const write = (entry: string, value: string | null) => {
    const outcome = { settled: "pending" as "pending" | "ok" | "rejected" };
    const pending: PendingWrite = {
      entry,
      value,
      seq: ++seq,
      enqueuedAt: clock.now(),
      waiters: [{ resolve: () => (outcome.settled = "ok"), reject: () => (outcome.settled = "rejected") }],
    };
    writer.enqueue(pending);
    return outcome;
  };
  return { clock, api, writer, write, acked, rejected, retries };
}

describe("ShardWriter", () => {
  it("removes with add+remove, so removing an absent key cannot fail the patch", () => {
    expect(operationsOf({ entry: "cap/a/b", value: null })).toEqual([
      { op: "add", path: "/data/cap~1a~1b", value: "" },
      { op: "remove", path: "/data/cap~1a~1b" },
    ]);
  });

  it("sends at once when idle, coalesces while a patch is in flight, keeps the last value of a key", async () => {
    const { clock, api, write, acked } = setup();
    await api.create("s-0");
    const first = write("cap/a", "1");
    await clock.advance(0);
    expect(api.patches).toHaveLength(1);
    api.hold();
    write("cap/b", "1");
    await clock.advance(0);
    const superseded = write("cap/c", "1");
    const last = write("cap/c", "2");
    write("cap/d", null);
    await clock.advance(0);
    expect(api.patches).toHaveLength(2);
    api.release();
    await clock.advance(0);
    expect(acked).toEqual([["cap/a"], ["cap/b"], ["cap/c", "cap/d"]]);
    expect(api.shards.get("s-0")?.data).toEqual({ "cap/a": "1", "cap/b": "1", "cap/c": "2" });
    expect([first.settled, superseded.settled, last.settled]).toEqual(["ok", "ok", "ok"]);
  });

  it("creates a shard a patch found missing, with the batch's values", async () => {
    const { clock, api, write, acked } = setup();
    write("cap/a", "1");
    await clock.advance(0);
    expect(acked).toEqual([["cap/a"]]);
    expect(api.patches).toHaveLength(1);
    expect(api.creates).toEqual([{ shard: "s-0", data: { "cap/a": "1" } }]);
    expect(api.shards.get("s-0")?.data).toEqual({ "cap/a": "1" });
  });

  it("keeps a new shard's values and leaves removals out of it", () => {
    expect(
      initialData([
        { entry: "cap/a", value: "1" },
        { entry: "cap/b", value: null },
        { entry: "cap/c", value: "" },
      ]),
    ).toEqual({
      "cap/a": "1",
      "cap/c": "",
    });
  });

  it("creates a shard known to be missing with the batch's values in one request", async () => {
    const { clock, api, write, acked } = setup({ missing: () => true });
    const outcome = write("cap/a", "1");
    write("cap/b", null);
    await clock.advance(0);
    expect(api.creates).toEqual([{ shard: "s-0", data: { "cap/a": "1" } }]);
    expect(api.patches).toEqual([]);
    expect(acked).toEqual([["cap/a", "cap/b"]]);
    expect(outcome.settled).toBe("ok");
    expect(api.shards.get("s-0")?.data).toEqual({ "cap/a": "1" });
  });

  it("patches when another writer created the shard first, keeping that writer's values", async () => {
    const { clock, api, write, acked } = setup({ missing: () => true });
    api.externalWrite("s-0", "cap/theirs", "x");
    write("cap/a", "1");
    await clock.advance(0);
    expect(api.creates).toHaveLength(1);
    expect(api.patches).toHaveLength(1);
    expect(acked).toEqual([["cap/a"]]);
    expect(api.shards.get("s-0")?.data).toEqual({ "cap/theirs": "x", "cap/a": "1" });
  });

  it("rejects instead of looping when the create itself finds nothing to create in (missing namespace)", async () => {
    const { clock, api, write, rejected } = setup();
    api.failNext.push(
      FakeShardApi.error(404, "capstanstores not found"),
      FakeShardApi.error(404, 'namespaces "gone" not found'),
    );
    const outcome = write("cap/a", "1");
    await clock.advance(0);
    expect(outcome.settled).toBe("rejected");
    expect(rejected.map((r) => r.entry)).toEqual(["cap/a"]);
    expect(api.patches).toHaveLength(1);
    expect(api.creates).toHaveLength(1);
  });

  it("retries 429/5xx/connection failures with growing backoff and never drops the write", async () => {
    const { clock, api, write, retries } = setup();
    await api.create("s-0");
    api.failNext.push(FakeShardApi.error(503, "unavailable"), FakeShardApi.error(500, "etcd leader changed"));
    const outcome = write("cap/a", "1");
    await clock.advance(0);
    expect(outcome.settled).toBe("pending");
    await clock.advance(10_000);
    expect(outcome.settled).toBe("ok");
    expect(retries).toHaveLength(2);
    expect(retries[1]).toBeGreaterThan(retries[0] ?? 0);
  });

  it("splits a refused batch to reject exactly the refused write", async () => {
    const { clock, api, write, rejected } = setup();
    await api.create("s-0");
    api.refuseValue = "HUGE";
    const outcomes = ["a", "b", "HUGE", "d", "e"].map((v) => write(`cap/${v}`, v));
    await clock.advance(0);
    await settle();
    expect(outcomes.map((o) => o.settled)).toEqual(["ok", "ok", "rejected", "ok", "ok"]);
    expect(rejected.map((r) => r.entry)).toEqual(["cap/HUGE"]);
    expect(api.shards.get("s-0")?.data).toEqual({ "cap/a": "a", "cap/b": "b", "cap/d": "d", "cap/e": "e" });
  });

  it("limits operations per patch", async () => {
    const { clock, api, write } = setup({ maxOperations: 2 });
    await api.create("s-0");
    for (const key of ["a", "b", "c", "d", "e"]) write(`cap/${key}`, "1");
    await clock.advance(0);
    // Each patch starts with the test that the shard is open.
    expect(api.patches.map((p) => p.operations.length)).toEqual([3, 3, 2]);
    expect(api.patches.every((p) => p.operations[0]?.path === "/state")).toBe(true);
  });

  it("idle() resolves when everything enqueued is settled", async () => {
    const { clock, api, write, writer } = setup();
    await api.create("s-0");
    let idle = false;
    write("cap/a", "1");
    void writer.idle().then(() => {
      idle = true;
    });
    await settle();
    expect(idle).toBe(false);
    await clock.advance(0);
    expect(idle).toBe(true);
  });
});
