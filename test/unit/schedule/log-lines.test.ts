import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Leadership } from "../../../src/schedule/leadership.ts";
import { Scheduler } from "../../../src/schedule/scheduler.ts";
import { MemoryStore } from "../../../src/store/memory-store.ts";
import { Store } from "../../../src/store/store.ts";
import { FakeClock } from "../../../src/time/fake-clock.ts";

const START = Date.UTC(2026, 0, 1);

/** One process log, as a Pepr module's e2e test reads it: capstan's lines and the module's own, in one stream. */
function processLog() {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(line.trimEnd()) });
  return { lines, logger };
}

describe("schedule log lines", () => {
  it("logs Pepr's 'Scheduling processed' when the schedules start", async () => {
    const { lines, logger } = processLog();
    const scheduler = new Scheduler({
      leader: new Leadership(true),
      identity: "a",
      clock: new FakeClock(START),
      logger,
    });
    scheduler.start();
    expect(lines.map((line) => JSON.parse(line).msg)).toContain("Scheduling processed");
    await scheduler.stop();
  });

  it("never writes a top-level field a module may use: a search for the module's `schedule` finds its lines only", async () => {
    const clock = new FakeClock(START);
    const { lines, logger } = processLog();
    const store = new Store("cap", { prefix: "schedule:cap" });
    store.attach(new MemoryStore({ clock }));
    const scheduler = new Scheduler({ leader: new Leadership(true), identity: "a", clock, logger });
    let runs = 0;
    // The shape of Pepr's published OnSchedule example: the job logs a field named `schedule`.
    scheduler.add(
      "cap",
      {
        name: "n-times",
        every: 10,
        unit: "seconds",
        completions: 2,
        run: () => {
          runs++;
          if (runs === 1) throw new Error("first run fails");
          logger.info({ schedule: "n-times" });
        },
      },
      store,
    );
    scheduler.start();
    await clock.advance(60_000);
    expect(runs).toBe(3);
    const needle = `"schedule":"n-times"`;
    // capstan logged the failed run and the completion about this schedule, under its own names.
    const capstanLines = lines.filter((line) => line.includes(`"capstan.schedule":"n-times"`));
    expect(capstanLines.map((line) => JSON.parse(line).msg)).toEqual(
      expect.arrayContaining(["schedule run failed", "schedule completed"]),
    );
    expect(lines.filter((line) => line.includes(needle))).toHaveLength(2);
    for (const line of capstanLines) {
      const fields = Object.keys(JSON.parse(line));
      expect(fields.filter((field) => !field.startsWith("capstan."))).toEqual(
        expect.not.arrayContaining(["schedule", "capability", "component", "identity"]),
      );
    }
    await scheduler.stop();
  });
});
