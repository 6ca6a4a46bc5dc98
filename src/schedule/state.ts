import type { ScheduleDefinition } from "../model/index.ts";

/**
 * A schedule's record in the store (key: the schedule's name, in the capability's schedule view),
 * JSON so it reads plainly in `kubectl get capstanstores -o yaml`. Times are ISO strings.
 */
export interface ScheduleState {
  /** Slots of interval schedules count from here: `startTime`, or when the schedule first ran anywhere. */
  readonly anchor: string;
  /** The timing the anchor belongs to; a changed `every`/`unit`/`startTime`/`cron` re-anchors. */
  readonly timing: string;
  /** The last slot claimed by any replica. A slot is claimed before its job runs and never run twice. */
  readonly lastSlot?: string;
  readonly successes: number;
  /**
   * The schedule's `completions` when this record was made. Pepr's record keeps the runs left
   * instead of those done, so handing the state back to Pepr needs the limit.
   */
  readonly limit?: number;
  readonly failures: number;
  /** Slots passed over by the catch-up policy. */
  readonly skipped: number;
  /** Set while a job runs; `heartbeat` is refreshed so other replicas can tell a live run from a dead one. */
  readonly running?: { readonly by: string; readonly slot: string; readonly heartbeat: string };
  readonly lastRun?: {
    readonly slot: string;
    readonly by: string;
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly outcome: "succeeded" | "failed";
    readonly error?: string;
  };
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The timing a state's anchor belongs to: what of a schedule's definition decides its slots. */
export function scheduleTiming(s: ScheduleDefinition): string {
  return JSON.stringify(
    s.cron === undefined
      ? { every: s.every, unit: s.unit, startTime: s.startTime?.toISOString() }
      : { cron: s.cron, timeZone: s.timeZone ?? "UTC", startTime: s.startTime?.toISOString() },
  );
}

/**
 * Pepr 1.1.4's record of an `OnSchedule` (src/lib/core/schedule.ts), JSON under the schedule's name
 * in the `pepr-<uuid>-schedule` store: `completions` counts the runs left, `lastTimestamp` is when
 * the last run was started.
 */
export interface PeprScheduleRecord {
  readonly completions?: number | null;
  readonly startTime?: string | null;
  readonly lastTimestamp?: string | null;
  readonly name?: string;
}

/**
 * capstan's state for a schedule Pepr ran: the next slot is one interval after Pepr's last run
 * (as Pepr computes it), and the runs Pepr made count towards `completions`. Undefined for a
 * record that is not Pepr's or has no last run.
 */
export function stateFromPepr(raw: string, schedule: ScheduleDefinition): ScheduleState | undefined {
  let record: PeprScheduleRecord;
  try {
    record = JSON.parse(raw) as PeprScheduleRecord;
  } catch {
    return undefined;
  }
  const last = typeof record?.lastTimestamp === "string" ? Date.parse(record.lastTimestamp) : Number.NaN;
  if (Number.isNaN(last)) return undefined;
  const limit = schedule.completions;
  const left = typeof record.completions === "number" ? record.completions : undefined;
  const at = iso(last);
  return {
    anchor: at,
    timing: scheduleTiming(schedule),
    lastSlot: at,
    successes: limit !== undefined && left !== undefined ? Math.max(0, limit - left) : 0,
    ...(limit !== undefined ? { limit } : {}),
    failures: 0,
    skipped: 0,
    lastRun: { slot: at, by: "pepr", startedAt: at, finishedAt: at, outcome: "succeeded" },
  };
}

/**
 * The record Pepr 1.1.4 reads back for a capstan state: the runs left and the last run. Undefined
 * when Pepr should start the schedule afresh: it never ran, or its limit is unknown.
 */
export function peprRecordOf(name: string, raw: string): PeprScheduleRecord | undefined {
  const state = parseState(raw);
  const last = state?.lastRun?.startedAt ?? state?.lastSlot;
  if (!state || last === undefined) return undefined;
  return {
    ...(state.limit !== undefined ? { completions: Math.max(0, state.limit - state.successes) } : {}),
    lastTimestamp: last,
    name,
  };
}

/** Converts the records of Pepr's schedule store for the schedules a module defines now. */
export function peprScheduleConverter(
  capabilities: readonly { readonly name: string; readonly schedules: readonly ScheduleDefinition[] }[],
): (capability: string, name: string, raw: string) => string | undefined {
  const byId = new Map<string, ScheduleDefinition>();
  for (const capability of capabilities) {
    for (const schedule of capability.schedules) byId.set(`${capability.name}/${schedule.name}`, schedule);
  }
  return (capability, name, raw) => {
    const schedule = byId.get(`${capability}/${name}`);
    const state = schedule && stateFromPepr(raw, schedule);
    return state && stateJson(state);
  };
}

/** The stored record, or undefined when absent or unreadable (an unreadable record is replaced). */
export function parseState(raw: string | null): ScheduleState | undefined {
  if (raw === null) return undefined;
  try {
    const state = JSON.parse(raw) as ScheduleState;
    if (typeof state.anchor !== "string" || typeof state.successes !== "number") return undefined;
    return state;
  } catch {
    return undefined;
  }
}

export function stateJson(state: ScheduleState): string {
  return JSON.stringify(state);
}
