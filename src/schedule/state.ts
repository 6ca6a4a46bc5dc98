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
