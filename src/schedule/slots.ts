import { Cron } from "croner";

/** A due slot: the latest slot time not after now, and how many slots fell due since the last one claimed. */
export interface DueSlot {
  readonly slot: number;
  readonly count: number;
}

/** The times a schedule should run at, in ms since the epoch. */
export interface SlotSeries {
  /** The first slot strictly after `after`. */
  next(after: number): number | undefined;
  /** The latest slot in (`after`, `now`], with the number of slots in that range. */
  latestDue(after: number, now: number): DueSlot | undefined;
}

/** Slots `anchor + k × period` for k ≥ `firstIndex`. */
export function intervalSeries(anchor: number, periodMs: number, firstIndex: 0 | 1): SlotSeries {
  const firstAfter = (after: number) => Math.max(firstIndex, Math.floor((after - anchor) / periodMs) + 1);
  return {
    next: (after) => anchor + firstAfter(after) * periodMs,
    latestDue(after, now) {
      const last = Math.floor((now - anchor) / periodMs);
      const first = firstAfter(after);
      if (last < first) return undefined;
      return { slot: anchor + last * periodMs, count: last - first + 1 };
    },
  };
}

const MAX_COUNTED = 10_000;

/** Slots of a cron expression in a time zone, not before `notBefore`. */
export function cronSeries(expression: string, timeZone: string | undefined, notBefore?: number): SlotSeries {
  const cron = new Cron(expression, { timezone: timeZone ?? "UTC", paused: true });
  const floor = notBefore ?? Number.NEGATIVE_INFINITY;
  const next = (after: number): number | undefined => {
    const from = Math.max(after, floor - 1);
    return cron.nextRun(new Date(Number.isFinite(from) ? from : Date.now()))?.getTime();
  };
  return {
    next,
    latestDue(after, now) {
      const [previous] = cron.previousRuns(1, new Date(now + 1));
      const slot = previous?.getTime();
      if (slot === undefined || slot <= after || slot < floor || slot > now) return undefined;
      let count = 0;
      const start = Number.isFinite(after) ? after : Math.max(floor - 1, slot - 1);
      for (let t = next(start); t !== undefined && t <= slot && count < MAX_COUNTED; t = next(t)) count++;
      return { slot, count: Math.max(1, count) };
    },
  };
}
