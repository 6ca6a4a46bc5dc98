/** Pepr's units. "second" is accepted like "seconds" (Pepr's type allows it but its code throws). */
export type ScheduleUnit = "seconds" | "second" | "minute" | "minutes" | "hours" | "hour";

/**
 * What happens to slots that passed while no leader could run them (a restart, a failover, a run
 * that took longer than the interval):
 * - `latest` (default): the most recent missed slot runs once, as soon as possible; older missed
 *   slots are skipped (counted in `skipped`).
 * - `skip`: a slot whose run cannot start within half an interval (at most 60 s) of its time is
 *   skipped; the schedule waits for the next slot (Pepr's behaviour).
 */
export type CatchUpPolicy = "latest" | "skip";

interface ScheduleCommon {
  /** Unique within the capability; the key of the schedule's state in the store. */
  readonly name: string;
  /** The job. Awaited; it gets a signal that aborts when this replica stops leading or shuts down. */
  readonly run: (signal: AbortSignal) => unknown;
  /** Stop after this many successful runs (failed runs do not count). */
  readonly completions?: number;
  readonly catchUp?: CatchUpPolicy;
}

/** Pepr's `OnSchedule` argument: every N units, first run one interval after the schedule first starts, or at `startTime`. */
export interface IntervalSchedule extends ScheduleCommon {
  readonly every: number;
  readonly unit: ScheduleUnit;
  readonly startTime?: Date;
  readonly cron?: undefined;
}

/** Beyond Pepr: a cron expression (5 fields, or 6 with seconds first) in a time zone (IANA name, default UTC). */
export interface CronSchedule extends ScheduleCommon {
  readonly cron: string;
  readonly timeZone?: string;
  /** No slot before this time. */
  readonly startTime?: Date;
  readonly every?: undefined;
  readonly unit?: undefined;
}

export type ScheduleDefinition = IntervalSchedule | CronSchedule;
