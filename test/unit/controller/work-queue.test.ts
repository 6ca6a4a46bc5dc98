import { describe, expect, it } from "vitest";
import { laneOf, type OrderingStrategy } from "../../../src/controller/ordering.ts";
import { ExponentialBackoff, FixedInterval, NoRetry } from "../../../src/controller/retry-policy.ts";
import { type ProcessItem, WorkQueue, type WorkQueueOptions } from "../../../src/controller/work-queue.ts";
import { TooManyRequestsError } from "../../../src/k8s/errors.ts";
import { Log } from "../../../src/telemetry/logger.ts";
import { registry } from "../../../src/telemetry/metrics.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

let queueCount = 0;
function queue<T>(process: ProcessItem<T>, options: Partial<WorkQueueOptions<T>> = {}) {
  const clock = options.clock ?? new FakeClock();
  const q = new WorkQueue<T>({
    name: `unit-${++queueCount}`,
    process,
    clock,
    random: () => 0.5,
    logger: Log.child({}, { level: "silent" }),
    retry: new ExponentialBackoff({ initialMs: 100, maxMs: 10_000 }),
    ...options,
  });
  return { q, clock: clock as FakeClock };
}

async function metric(name: string, queueName: string): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (found?.values ?? []) as { value: number; labels: Record<string, unknown>; metricName?: string }[];
  return values
    .filter((v) => v.labels.queue === queueName && (v.metricName === undefined || v.metricName === name))
    .reduce((sum, v) => sum + v.value, 0);
}

describe("WorkQueue coalescing", () => {
  it("runs a busy key once more with the latest payload however many adds arrived meanwhile", async () => {
    const seen: number[] = [];
    const first = gate();
    const { q } = queue<number>(async ({ payload }) => {
      seen.push(payload);
      if (seen.length === 1) await first.promise;
    });
    q.add("cr/ns/a", 0);
    await settle();
    for (let generation = 1; generation <= 100; generation++) q.add("cr/ns/a", generation);
    first.open();
    await q.idle();
    await settle();
    expect(seen).toEqual([0, 100]);
    expect(q.size).toBe(0);
  });

  it("merges adds that arrive while the item waits to run", async () => {
    const seen: string[] = [];
    const { q } = queue<string>(({ payload }) => void seen.push(payload), { paused: true });
    for (let i = 0; i < 50; i++) q.add("k", `v${i}`);
    expect(q.depth).toBe(1);
    q.resume();
    await q.idle();
    expect(seen).toEqual(["v49"]);
  });
});

describe("WorkQueue merging", () => {
  it("merges pending payloads with `merge` and never re-delivers what already ran", async () => {
    const runs: number[][] = [];
    const first = gate();
    const { q } = queue<number[]>(
      async ({ payload }) => {
        runs.push(payload);
        if (runs.length === 1) await first.promise;
      },
      { merge: (pending, incoming) => [...pending, ...incoming] },
    );
    q.add("k", [1]);
    await settle();
    q.add("k", [2]);
    q.add("k", [3]);
    first.open();
    await q.idle();
    await settle();
    expect(runs).toEqual([[1], [2, 3]]);
  });

  it("retries what failed together with what arrived meanwhile, but drops it when not retrying", async () => {
    const runs: number[][] = [];
    const first = gate();
    const merge = (pending: number[], incoming: number[]) => [...pending, ...incoming];
    const failOnce = async ({ payload }: { payload: number[] }) => {
      runs.push(payload);
      if (runs.length === 1) {
        await first.promise;
        throw new Error("fails once");
      }
    };
    const { q, clock } = queue<number[]>(failOnce, { merge });
    q.add("k", [1]);
    await settle();
    q.add("k", [2]);
    first.open();
    await clock.runAll();
    expect(runs).toEqual([[1], [1, 2]]);

    runs.length = 0;
    const second = gate();
    const { q: noRetry } = queue<number[]>(
      async ({ payload }) => {
        runs.push(payload);
        if (runs.length === 1) {
          await second.promise;
          throw new Error("fails once");
        }
      },
      { merge, retry: new NoRetry() },
    );
    noRetry.add("k", [1]);
    await settle();
    noRetry.add("k", [2]);
    second.open();
    await noRetry.idle();
    await settle();
    expect(runs).toEqual([[1], [2]]);
  });
});

describe("WorkQueue serialisation", () => {
  it("never runs two callbacks for one key at once, and never blocks an unrelated key behind a slow one", async () => {
    const slow = gate();
    const running = new Map<string, number>();
    let maxSameKey = 0;
    const done: string[] = [];
    const { q } = queue<number>(async ({ key }) => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, running.get(key) ?? 0);
      if (key === "slow") await slow.promise;
      running.set(key, (running.get(key) ?? 1) - 1);
      done.push(key);
    });
    q.add("slow", 1);
    await settle();
    q.add("slow", 2);
    for (let i = 0; i < 20; i++) q.add(`fast-${i % 5}`, i);
    await settle(20);
    expect(done.filter((k) => k.startsWith("fast")).length).toBeGreaterThanOrEqual(5);
    expect(done).not.toContain("slow");
    slow.open();
    await q.idle();
    expect(done.filter((k) => k === "slow")).toHaveLength(2);
    expect(maxSameKey).toBe(1);
  });

  it("runs at most `workers` callbacks at once", async () => {
    const gates = Array.from({ length: 10 }, gate);
    let concurrent = 0;
    let peak = 0;
    const { q } = queue<number>(
      async ({ payload }) => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        await gates[payload]?.promise;
        concurrent--;
      },
      { workers: 3 },
    );
    for (let i = 0; i < 10; i++) q.add(`k${i}`, i);
    await settle();
    expect(concurrent).toBe(3);
    expect(q.depth).toBe(7);
    for (const g of gates) g.open();
    await q.idle();
    expect(peak).toBe(3);
  });

  it.each<[OrderingStrategy, number]>([
    ["global", 1],
    ["kind", 2],
    ["kindNs", 4],
    ["kindNsName", 8],
  ])("strategy %s lets %i items run at once", async (strategy, expected) => {
    const hold = gate();
    let concurrent = 0;
    let peak = 0;
    const { q } = queue<number>(async () => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      await hold.promise;
      concurrent--;
    });
    for (const kind of ["A", "B"])
      for (const namespace of ["x", "y"])
        for (const name of ["1", "2"]) {
          const ref = { kind, namespace, name };
          q.add(laneOf("kindNsName", ref), 0, laneOf(strategy, ref));
        }
    await settle();
    expect(peak).toBe(expected);
    hold.open();
    await q.idle();
    await settle();
    expect(q.size).toBe(0);
  });
});

describe("WorkQueue retries", () => {
  it("spaces retries exponentially and resets after a success", async () => {
    const times: number[] = [];
    const { q, clock } = queue<number>(({ attempt }) => {
      times.push(clock.now());
      if (attempt < 3) throw new Error(`attempt ${attempt} fails`);
    });
    const start = clock.now();
    q.add("k", 1);
    await clock.runAll();
    expect(times.map((t) => t - start)).toEqual([0, 100, 300, 700]);
    expect(q.size).toBe(0);
    expect(await metric("capstan_workqueue_retries_total", q.name)).toBe(3);
    expect(await metric("capstan_workqueue_failures_total", q.name)).toBe(3);
  });

  it("keeps waiting out a retry when a new add arrives, and runs it with the newest payload", async () => {
    const calls: { at: number; payload: string }[] = [];
    const { q, clock } = queue<string>(({ payload }) => {
      calls.push({ at: clock.now(), payload });
      if (calls.length === 1) throw new Error("first run fails");
    });
    const start = clock.now();
    q.add("k", "old");
    await clock.advance(50);
    q.add("k", "new");
    await clock.advance(49);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls.map((c) => ({ ...c, at: c.at - start }))).toEqual([
      { at: 0, payload: "old" },
      { at: 100, payload: "new" },
    ]);
  });

  it("caps the delay and applies jitter within its bounds", () => {
    const policy = new ExponentialBackoff({ initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0.2 });
    expect(policy.delayMs(1, () => 0.5)).toBe(100);
    expect(policy.delayMs(4, () => 0.5)).toBe(800);
    expect(policy.delayMs(5, () => 0.5)).toBe(1000);
    expect(policy.delayMs(30, () => 0.5)).toBe(1000);
    expect(policy.delayMs(1, () => 0)).toBe(80);
    expect(policy.delayMs(1, () => 0.999999)).toBe(120);
    expect(new FixedInterval({ intervalMs: 7, maxAttempts: 2 }).delayMs(3)).toBeUndefined();
    expect(() => new ExponentialBackoff({ jitter: 1 })).toThrow(/jitter/);
    expect(() => new ExponentialBackoff({ initialMs: 0 })).toThrow(/initialMs/);
  });

  it("gives up when the policy says so, until the object changes again", async () => {
    let calls = 0;
    const { q, clock } = queue<number>(
      () => {
        calls++;
        throw new Error("always");
      },
      { retry: new FixedInterval({ intervalMs: 10, maxAttempts: 2 }) },
    );
    q.add("k", 1);
    await clock.runAll();
    expect(calls).toBe(3);
    expect(q.size).toBe(0);
    expect(await metric("capstan_workqueue_given_up_total", q.name)).toBe(1);
    q.add("k", 2);
    await q.idle();
    expect(calls).toBe(4);
  });

  it("does not retry with NoRetry", async () => {
    let calls = 0;
    const { q, clock } = queue<number>(
      () => {
        calls++;
        throw new Error("once");
      },
      { retry: new NoRetry() },
    );
    q.add("k", 1);
    await clock.runAll();
    expect(calls).toBe(1);
  });

  it("waits at least as long as the server's Retry-After", async () => {
    const times: number[] = [];
    const { q, clock } = queue<number>(() => {
      times.push(clock.now());
      if (times.length === 1) {
        throw new TooManyRequestsError({ status: 429, method: "PATCH", path: "/x", body: {}, retryAfterSeconds: 5 });
      }
    });
    q.add("k", 1);
    await clock.runAll();
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBe(5000);
  });
});

describe("WorkQueue requeueAfter", () => {
  it("runs a successful item again after the requested delay, or at once when it is added sooner", async () => {
    const times: number[] = [];
    const { q, clock } = queue<number>(() => {
      times.push(clock.now());
      return times.length < 3 ? { requeueAfter: 1000 } : undefined;
    });
    const start = clock.now();
    q.add("k", 1);
    await clock.advance(1000);
    expect(times.map((t) => t - start)).toEqual([0, 1000]);
    await clock.advance(300);
    q.add("k", 2);
    await settle();
    expect(times.map((t) => t - start)).toEqual([0, 1000, 1300]);
    await clock.runAll();
    expect(times).toHaveLength(3);
    expect(q.size).toBe(0);
  });

  it("schedules a first run with addAfter", async () => {
    const times: number[] = [];
    const { q, clock } = queue<number>(() => void times.push(clock.now()));
    const start = clock.now();
    q.addAfter("k", 1, 250);
    await clock.advance(249);
    expect(times).toEqual([]);
    await clock.advance(1);
    expect(times).toEqual([start + 250]);
  });
});

describe("WorkQueue lifecycle and metrics", () => {
  it("holds items while paused and runs them on resume", async () => {
    const seen: number[] = [];
    const { q } = queue<number>(({ payload }) => void seen.push(payload), { paused: true });
    q.add("a", 1);
    q.add("b", 2);
    await settle();
    expect(seen).toEqual([]);
    q.resume();
    await q.idle();
    expect(seen).toEqual([1, 2]);
  });

  it("shutDown waits for running callbacks and drops pending timers", async () => {
    const hold = gate();
    let finished = false;
    const { q, clock } = queue<number>(async ({ key }) => {
      if (key === "slow") {
        await hold.promise;
        finished = true;
      } else throw new Error("retry me");
    });
    q.add("slow", 1);
    q.add("failing", 1);
    await settle();
    const stopped = q.shutDown();
    hold.open();
    await stopped;
    expect(finished).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    q.add("after", 1);
    expect(q.size).toBe(0);
  });

  it("reports depth and the longest-running callback", async () => {
    const hold = gate();
    const { q, clock } = queue<number>(() => hold.promise, { workers: 1 });
    q.add("a", 1);
    q.add("b", 1);
    await settle();
    await clock.advance(2500);
    expect(await metric("capstan_workqueue_depth", q.name)).toBe(1);
    expect(await metric("capstan_workqueue_longest_running_processor_seconds", q.name)).toBe(2.5);
    hold.open();
    await q.idle();
    expect(await metric("capstan_workqueue_depth", q.name)).toBe(0);
  });

  it("rejects a bad worker count with a clear message", () => {
    expect(() => queue(() => {}, { workers: 0 })).toThrow(/workers must be a positive integer/);
  });
});
