import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

export default {
  description:
    "OnSchedule runs every 10 s from one interval after start, stops after its completions; 'schedule' is the module's field",
  async run(t) {
    const runs = (schedule: string) =>
      t.moduleLogRecords().filter((line) => line.msg === "schedule ran" && line.schedule === schedule);
    const processed = Number(JSON.parse(await t.waitForLog(/"msg":"Scheduling processed"/)).time);
    await t.waitFor(
      "two runs of every-ten-seconds",
      async () => (runs("every-ten-seconds").length >= 2 ? true : undefined),
      40_000,
    );
    const at = runs("every-ten-seconds").map((line) => Number(line.at));
    // The first run one interval after the schedules start, then one per interval.
    expect((at[0] as number) - processed).toBeGreaterThan(8_000);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThan(8_500);
    expect((at[1] as number) - (at[0] as number)).toBeLessThan(12_000);
    expect(runs("once")).toHaveLength(1);
    // Only the module's lines carry a `schedule` field (capstan's own field is `capstan.schedule`).
    const withSchedule = t.moduleLogRecords().filter((line) => "schedule" in line);
    expect(withSchedule.every((line) => line.msg === "schedule ran")).toBe(true);
  },
} satisfies CompatTest;
