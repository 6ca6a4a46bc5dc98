import { Cron } from "croner";
import type { ScheduleDefinition } from "../model/index.ts";

/** Pepr's minimum interval. */
export const MIN_INTERVAL_MS = 10_000;
const SMALLEST = "10 Seconds in the smallest interval allowed";

const unitMs: Record<string, number> = {
  second: 1000,
  seconds: 1000,
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/** The length of one interval; throws Pepr's messages for bad units and intervals under 10 s. */
export function intervalMs(every: number, unit: string): number {
  const size = unitMs[unit];
  if (size === undefined) throw new Error("Invalid time unit");
  if (typeof every !== "number" || !Number.isFinite(every) || every <= 0) {
    throw new Error(`every must be a positive number of ${unit}, got ${String(every)}`);
  }
  if (every * size < MIN_INTERVAL_MS) throw new Error(SMALLEST);
  return every * size;
}

/** Throws a clear error for a schedule that cannot run; returns it unchanged otherwise. */
export function validateSchedule(schedule: ScheduleDefinition): ScheduleDefinition {
  const label = `OnSchedule "${schedule?.name}"`;
  if (!schedule || typeof schedule.name !== "string" || schedule.name.trim() === "") {
    throw new Error("OnSchedule needs a name (unique within the capability)");
  }
  if (typeof schedule.run !== "function") throw new Error(`${label}: run must be a function`);
  if (schedule.completions !== undefined && !(Number.isInteger(schedule.completions) && schedule.completions > 0)) {
    throw new Error(`${label}: completions must be a positive whole number, got ${String(schedule.completions)}`);
  }
  if (
    schedule.startTime !== undefined &&
    !(schedule.startTime instanceof Date && !Number.isNaN(schedule.startTime.getTime()))
  ) {
    throw new Error(`${label}: startTime must be a valid Date`);
  }
  if (schedule.catchUp !== undefined && schedule.catchUp !== "latest" && schedule.catchUp !== "skip") {
    throw new Error(`${label}: catchUp must be "latest" or "skip", got ${String(schedule.catchUp)}`);
  }
  if (schedule.cron === undefined) {
    intervalMs(schedule.every, schedule.unit);
    return schedule;
  }
  if (schedule.every !== undefined || schedule.unit !== undefined) {
    throw new Error(`${label}: give either cron or every/unit, not both`);
  }
  let runs: Date[];
  try {
    runs = new Cron(schedule.cron, { timezone: schedule.timeZone ?? "UTC", paused: true }).nextRuns(6, new Date());
  } catch (error) {
    throw new Error(`${label}: invalid cron expression "${schedule.cron}" or time zone: ${(error as Error).message}`);
  }
  if (runs.length === 0) throw new Error(`${label}: the cron expression "${schedule.cron}" never fires`);
  for (let i = 1; i < runs.length; i++) {
    if ((runs[i]?.getTime() ?? 0) - (runs[i - 1]?.getTime() ?? 0) < MIN_INTERVAL_MS) throw new Error(SMALLEST);
  }
  return schedule;
}
