import { describe, expect, it } from "vitest";
import type { ScheduleDefinition } from "../../../src/model/schedule.ts";
import { Leadership } from "../../../src/schedule/leadership.ts";
import { Scheduler } from "../../../src/schedule/scheduler.ts";
import {
  parseState,
  peprRecordOf,
  peprScheduleConverter,
  scheduleTiming,
  stateFromPepr,
} from "../../../src/schedule/state.ts";
import { MemoryStore } from "../../../src/store/memory-store.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeClock } from "../../../src/time/fake-clock.ts";

const every5m: ScheduleDefinition = { name: "sweep", every: 5, unit: "minutes", completions: 10, run: () => {} };
/** What Pepr 1.1.4's OnSchedule.saveToStore writes after its third of ten runs. */
const peprRecord = JSON.stringify({
  completions: 7,
  startTime: undefined,
  lastTimestamp: "2026-12-01T10:00:00.000Z",
  name: "sweep",
});

describe("schedule state from Pepr's record", () => {
  it("keeps the runs Pepr made and the next slot one interval after its last run", () => {
    const state = stateFromPepr(peprRecord, every5m);
    expect(state).toMatchObject({
      anchor: "2026-12-01T10:00:00.000Z",
      lastSlot: "2026-12-01T10:00:00.000Z",
      timing: scheduleTiming(every5m),
      successes: 3,
      limit: 10,
      lastRun: { by: "pepr", outcome: "succeeded" },
    });
    // parseState takes it as a state of the current timing: the runner does not re-anchor it.
    expect(parseState(JSON.stringify(state))?.timing).toBe(scheduleTiming(every5m));
  });

  it("counts nothing for a schedule without completions, and skips records with no last run or not JSON", () => {
    const forever: ScheduleDefinition = { name: "sweep", every: 1, unit: "hour", run: () => {} };
    expect(stateFromPepr(peprRecord, forever)?.successes).toBe(0);
    expect(stateFromPepr(JSON.stringify({ completions: 2, name: "x" }), every5m)).toBeUndefined();
    expect(stateFromPepr("not json", every5m)).toBeUndefined();
  });

  it("converts only the schedules the module defines", () => {
    const convert = peprScheduleConverter([{ name: "cap", schedules: [every5m] }]);
    expect(parseState(convert("cap", "sweep", peprRecord) ?? null)?.successes).toBe(3);
    expect(convert("cap", "renamed", peprRecord)).toBeUndefined();
    expect(convert("other", "sweep", peprRecord)).toBeUndefined();
  });

  it("gives Pepr back the runs left and the last run", () => {
    const state = stateFromPepr(peprRecord, every5m);
    const record = peprRecordOf("sweep", JSON.stringify({ ...state, successes: 4 }));
    expect(record).toEqual({ completions: 6, lastTimestamp: "2026-12-01T10:00:00.000Z", name: "sweep" });
    // A schedule that never ran starts afresh under Pepr.
    expect(
      peprRecordOf("sweep", JSON.stringify({ anchor: "x", timing: "t", successes: 0, failures: 0, skipped: 0 })),
    ).toBeUndefined();
  });
});

describe("a schedule Pepr ran, under capstan's scheduler", () => {
  it("runs next one interval after Pepr's last run and stops after the runs Pepr left", async () => {
    // Pepr ran the 5-minute schedule 8 of 10 times, last at 10:00; capstan starts at 10:02.
    const last = Date.parse("2026-12-01T10:00:00.000Z");
    const clock = new FakeClock(last + 2 * 60_000);
    const backend = new MemoryStore({ clock });
    const view = new Store("cap", { prefix: "schedule:cap" });
    view.attach(backend);
    const runs: number[] = [];
    const definition: ScheduleDefinition = { ...every5m, run: () => void runs.push(clock.now()) };
    const imported = peprScheduleConverter([{ name: "cap", schedules: [definition] }])(
      "cap",
      "sweep",
      JSON.stringify({ completions: 2, lastTimestamp: new Date(last).toISOString(), name: "sweep" }),
    );
    await view.setItemAndWait("sweep", imported ?? "");
    const scheduler = new Scheduler({ leader: new Leadership(true), identity: "a", clock });
    scheduler.add("cap", definition, view);
    scheduler.start();
    await clock.advance(60 * 60_000);
    expect(runs.map((at) => (at - last) / 60_000)).toEqual([5, 10]);
    expect(parseState(view.getItem("sweep"))).toMatchObject({ successes: 10, limit: 10 });
    await scheduler.stop();
  });
});
