import { describe, expect, it } from "vitest";
import type { ScheduleDefinition } from "../../../src/model/schedule.ts";
import { Leadership } from "../../../src/schedule/leadership.ts";
import { Scheduler } from "../../../src/schedule/scheduler.ts";
import { parseState } from "../../../src/schedule/state.ts";
import { MemoryStore } from "../../../src/store/memory-store.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";

const START = Date.UTC(2026, 0, 1);

/** A module replica: its scheduler, leadership switch and the schedule view of the shared store. */
function replica(clock: FakeClock, backend: MemoryStore, identity: string, leading = true) {
  const leadership = new Leadership(leading);
  const store = new Store("cap", { prefix: "schedule:cap" });
  store.attach(backend);
  const scheduler = new Scheduler({ leader: leadership, identity, clock });
  return { leadership, scheduler, store };
}

function recorder(clock: FakeClock, durationMs = 0) {
  const runs: { start: number; end: number }[] = [];
  let active = 0;
  let overlapped = false;
  const run = async () => {
    active++;
    if (active > 1) overlapped = true;
    const record = { start: clock.now(), end: Number.NaN };
    runs.push(record);
    if (durationMs > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, durationMs));
    record.end = clock.now();
    active--;
  };
  return { runs, run, overlapped: () => overlapped };
}

describe("Scheduler", () => {
  it("first runs one interval after it starts, then once per slot (Pepr's timing)", async () => {
    const clock = new FakeClock(START);
    const backend = new MemoryStore({ clock });
    const { scheduler, store } = replica(clock, backend, "a");
    const job = recorder(clock);
    scheduler.add("cap", { name: "tick", every: 10, unit: "seconds", run: job.run }, store);
    scheduler.start();
    await clock.advance(9_999);
    expect(job.runs).toHaveLength(0);
    await clock.advance(1);
    await clock.advance(35_000);
    expect(job.runs.map((r) => r.start - START)).toEqual([10_000, 20_000, 30_000, 40_000]);
    const state = parseState(store.getItem("tick"));
    expect(state).toMatchObject({
      successes: 4,
      failures: 0,
      skipped: 0,
      lastSlot: new Date(START + 40_000).toISOString(),
    });
    await scheduler.stop();
  });

  it("runs at startTime and counts only successful runs against completions", async () => {
    const clock = new FakeClock(START);
    const backend = new MemoryStore({ clock });
    const { scheduler, store } = replica(clock, backend, "a");
    let calls = 0;
    const schedule: ScheduleDefinition = {
      name: "thrice",
      every: 1,
      unit: "minute",
      startTime: new Date(START + 5_000),
      completions: 3,
      run: () => {
        calls++;
        if (calls === 2) throw new Error("flaky");
      },
    };
    scheduler.add("cap", schedule, store);
    scheduler.start();
    await clock.advance(10 * 60_000);
    expect(calls).toBe(4);
    expect(parseState(store.getItem("thrice"))).toMatchObject({ successes: 3, failures: 1 });
    expect(parseState(store.getItem("thrice"))?.lastRun?.slot).toBe(new Date(START + 5_000 + 3 * 60_000).toISOString());
  });

  it("resumes across a restart: neither repeats nor loses a run, and completions survive", async () => {
    const clock = new FakeClock(START);
    const backend = new MemoryStore({ clock });
    const first = replica(clock, backend, "a");
    const job = recorder(clock);
    const schedule = { name: "n", every: 10, unit: "seconds", completions: 3, run: job.run } as const;
    first.scheduler.add("cap", schedule, first.store);
    first.scheduler.start();
    await clock.advance(25_000);
    expect(job.runs).toHaveLength(2);
    await first.scheduler.stop();

    const second = replica(clock, backend, "b");
    second.scheduler.add("cap", schedule, second.store);
    second.scheduler.start();
    await clock.advance(100_000);
    expect(job.runs.map((r) => r.start - START)).toEqual([10_000, 20_000, 30_000]);
  });

  it("never overlaps runs, and catches up once for slots missed by a long run (policy latest)", async () => {
    const clock = new FakeClock(START);
    const backend = new MemoryStore({ clock });
    const { scheduler, store } = replica(clock, backend, "a");
    const job = recorder(clock, 25_000);
    scheduler.add("cap", { name: "slow", every: 10, unit: "seconds", run: job.run }, store);
    scheduler.start();
    await clock.advance(80_000);
    expect(job.overlapped()).toBe(false);
    // 10 s slot runs until 35 s; slots 20 and 30 missed, 30 runs late at 35 s, until 60 s; 40, 50 missed; 60 runs at 60 s.
    expect(job.runs.map((r) => r.start - START)).toEqual([10_000, 35_000, 60_000]);
    expect(parseState(store.getItem("slow"))?.skipped).toBe(3);
  });

  it("with catchUp skip, waits for the next slot instead of running late", async () => {
    const clock = new FakeClock(START);
    const backend = new MemoryStore({ clock });
    const { leadership, scheduler, store } = replica(clock, backend, "a", false);
    const job = recorder(clock);
    scheduler.add("cap", { name: "s", every: 10, unit: "seconds", catchUp: "skip", run: job.run }, store);
    // The first leader records the anchor; then there is no leader from 5 s to 37 s.
    leadership.set(true);
    scheduler.start();
    await clock.advance(5_000);
    leadership.set(false);
    await clock.advance(32_000);
    leadership.set(true);
    await clock.advance(8_000);
    expect(job.runs.map((r) => r.start - START)).toEqual([40_000]);
  });

  it("runs only on the leader, and the store claim stops two leaders from running one slot twice", async () => {
    const clock = new FakeClock(START);
    const backend = new MemoryStore({ clock });
    const a = replica(clock, backend, "a");
    const b = replica(clock, backend, "b", false);
    const job = recorder(clock);
    const schedule = { name: "once", every: 10, unit: "seconds", run: job.run } as const;
    a.scheduler.add("cap", schedule, a.store);
    b.scheduler.add("cap", schedule, b.store);
    a.scheduler.start();
    b.scheduler.start();
    await clock.advance(15_000);
    expect(job.runs).toHaveLength(1);
    b.leadership.set(true); // split brain: both think they lead
    await clock.advance(30_000);
    expect(job.runs.map((r) => r.start - START)).toEqual([10_000, 20_000, 30_000, 40_000]);
    a.leadership.set(false);
    await clock.advance(10_000);
    expect(job.runs).toHaveLength(5);
    expect(parseState(a.store.getItem("once"))?.lastRun?.by).toBe("b");
  });

  it("aborts the run's signal when leadership is lost, and fences the slot while the run is alive", async () => {
    const clock = new FakeClock(START);
    const backend = new MemoryStore({ clock });
    const a = replica(clock, backend, "a");
    const b = replica(clock, backend, "b", false);
    const starts: string[] = [];
    let aborted = false;
    const run = (who: string) => async (signal: AbortSignal) => {
      starts.push(`${who}@${clock.now() - START}`);
      signal.addEventListener("abort", () => {
        aborted = true;
      });
      if (who === "a") await new Promise<void>((resolve) => clock.setTimeout(resolve, 40_000));
    };
    a.scheduler.add("cap", { name: "long", every: 10, unit: "seconds", run: run("a") }, a.store);
    b.scheduler.add("cap", { name: "long", every: 10, unit: "seconds", run: run("b") }, b.store);
    a.scheduler.start();
    b.scheduler.start();
    await clock.advance(12_000);
    a.leadership.set(false);
    b.leadership.set(true);
    await settle();
    expect(aborted).toBe(true);
    // a's job ignores the signal and runs until 50 s, heartbeating: b may not start a slot meanwhile.
    await clock.advance(36_000);
    expect(starts).toEqual(["a@10000"]);
    await clock.advance(10_000);
    expect(starts).toEqual(["a@10000", "b@50000"]);
  });

  it("rejects invalid schedules with Pepr's messages", () => {
    const clock = new FakeClock(START);
    const { scheduler, store } = replica(clock, new MemoryStore({ clock }), "a");
    const add = (s: Partial<ScheduleDefinition>) =>
      scheduler.add("cap", { name: "x", run: () => {}, ...s } as ScheduleDefinition, store);
    expect(() => add({ every: 9, unit: "seconds" })).toThrow("10 Seconds in the smallest interval allowed");
    expect(() => add({ every: 1, unit: "days" as "hours" })).toThrow("Invalid time unit");
    expect(() => add({ every: 0, unit: "minutes" })).toThrow(/every must be a positive number/);
    expect(() => add({ every: 1, unit: "hour", completions: 0 })).toThrow(
      /completions must be a positive whole number/,
    );
    expect(() => add({ cron: "*/5 * * * * *" })).toThrow("10 Seconds in the smallest interval allowed");
    expect(() => add({ cron: "61 * * * *" })).toThrow(/invalid cron expression/);
    expect(() => add({ cron: "* * * * *", timeZone: "Mars/Olympus" })).toThrow(/time zone/);
    add({ every: 10, unit: "second" });
    expect(() => add({ every: 10, unit: "seconds" })).toThrow(/defined twice/);
  });

  it("runs cron schedules in their time zone", async () => {
    const start = Date.UTC(2026, 5, 1, 6, 59, 0);
    const clock = new FakeClock(start);
    const backend = new MemoryStore({ clock });
    const { scheduler, store } = replica(clock, backend, "a");
    const job = recorder(clock);
    scheduler.add("cap", { name: "nine", cron: "0 9 * * *", timeZone: "Europe/Berlin", run: job.run }, store);
    scheduler.start();
    await clock.advance(2 * 24 * 3600_000);
    expect(job.runs.map((r) => new Date(r.start).toISOString())).toEqual([
      "2026-06-01T07:00:00.000Z",
      "2026-06-02T07:00:00.000Z",
    ]);
  });
});
