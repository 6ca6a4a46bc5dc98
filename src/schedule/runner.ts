import type { ScheduleDefinition } from "../model/index.ts";
import type { Store } from "../store/index.ts";
import type { Logger } from "../telemetry/index.ts";
import type { Clock, TimerHandle } from "../time/index.ts";
import { scheduleMetrics } from "./metrics.ts";
import { cronSeries, type DueSlot, intervalSeries, type SlotSeries } from "./slots.ts";
import { iso, parseState, type ScheduleState, scheduleTiming, stateJson } from "./state.ts";
import { intervalMs } from "./validate.ts";

/** The part of a capability's schedule store a runner uses. */
export type ScheduleStore = Pick<Store, "getItem" | "update">;

export interface RunnerOptions {
  readonly capability: string;
  readonly schedule: ScheduleDefinition;
  readonly store: ScheduleStore;
  readonly clock: Clock;
  readonly identity: string;
  readonly log: Logger;
  /** How often a running job's heartbeat is written. */
  readonly heartbeatMs: number;
  /** A run whose heartbeat is older than this belongs to a dead replica. */
  readonly staleRunMs: number;
}

/** Node's timers overflow past ~24.8 days; long waits are taken in steps. */
const MAX_WAIT_MS = 3_600_000;
const RETRY_MS = 5_000;

/**
 * Runs one schedule while this replica leads: waits for the next slot, claims it in the store
 * (atomically, before the job starts), runs the job and awaits it, records the outcome. One run at
 * a time; a slot is claimed at most once by any replica, so a job runs at most once per slot.
 */
export class ScheduleRunner {
  readonly #o: RunnerOptions;
  readonly #labels: { capability: string; schedule: string };
  readonly #timing: string;
  #active = false;
  #busy = false;
  #timer: TimerHandle | undefined;
  #abort: AbortController | undefined;
  #finished = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(options: RunnerOptions) {
    this.#o = options;
    const s = options.schedule;
    this.#labels = { capability: options.capability, schedule: s.name };
    this.#timing = scheduleTiming(s);
  }

  get name(): string {
    return this.#o.schedule.name;
  }

  /** True once `completions` successful runs are recorded. */
  get finished(): boolean {
    return this.#finished;
  }

  activate(): void {
    if (this.#active) return;
    this.#active = true;
    this.#wake(0);
  }

  /** Stops starting runs; a run in progress gets its signal aborted. Resolves when it has ended. */
  deactivate(): Promise<void> {
    this.#active = false;
    this.#cancelTimer();
    this.#abort?.abort(new Error("this replica stopped leading"));
    return this.#idle;
  }

  #cancelTimer(): void {
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #wake(delayMs: number): void {
    this.#cancelTimer();
    if (!this.#active || this.#finished) return;
    this.#timer = this.#o.clock.setTimeout(
      () => {
        this.#timer = undefined;
        void this.#tick();
      },
      Math.min(Math.max(0, delayMs), MAX_WAIT_MS),
    );
  }

  async #tick(): Promise<void> {
    if (!this.#active || this.#busy || this.#finished) return;
    this.#busy = true;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#idle = promise;
    try {
      this.#wake(await this.#step());
    } catch (error) {
      this.#o.log.warn({ err: error }, "schedule step failed; retrying");
      this.#wake(RETRY_MS);
    } finally {
      this.#busy = false;
      resolve();
    }
  }

  /** One look at the schedule: runs a due slot if there is one. Returns how long to wait before looking again. */
  async #step(): Promise<number> {
    const { clock } = this.#o;
    const state = await this.#currentState();
    if (this.#done(state)) {
      this.#finished = true;
      this.#o.log.info({ successes: state.successes }, "schedule completed");
      return 0;
    }
    const series = this.#series(state);
    const now = clock.now();
    const lastSlot = state.lastSlot ? Date.parse(state.lastSlot) : Number.NEGATIVE_INFINITY;
    const due = series.latestDue(lastSlot, now);
    if (due && this.#runnable(due, series, now)) {
      const outcome = await this.#claimAndRun(due, lastSlot);
      if (outcome === "fenced") return Math.min(this.#o.heartbeatMs, this.#untilNext(series, Math.max(now, lastSlot)));
      return 0;
    }
    return this.#untilNext(series, Math.max(now, lastSlot));
  }

  #untilNext(series: SlotSeries, after: number): number {
    const next = series.next(after);
    return next === undefined ? MAX_WAIT_MS : next - this.#o.clock.now();
  }

  /** `skip` runs a slot only close to its time; `latest` runs the latest due slot however late. */
  #runnable(due: DueSlot, series: SlotSeries, now: number): boolean {
    if ((this.#o.schedule.catchUp ?? "latest") === "latest") return true;
    const gap = (series.next(due.slot) ?? due.slot + MAX_WAIT_MS) - due.slot;
    return now - due.slot <= Math.min(60_000, gap / 2);
  }

  #done(state: ScheduleState): boolean {
    const limit = this.#o.schedule.completions;
    return limit !== undefined && state.successes >= limit;
  }

  #series(state: ScheduleState): SlotSeries {
    const s = this.#o.schedule;
    // No slot before the schedule first existed (or its startTime): a new schedule does not "catch up" on the past.
    if (s.cron !== undefined) return cronSeries(s.cron, s.timeZone, s.startTime?.getTime() ?? Date.parse(state.anchor));
    const period = intervalMs(s.every, s.unit);
    return s.startTime
      ? intervalSeries(s.startTime.getTime(), period, 0)
      : intervalSeries(Date.parse(state.anchor), period, 1);
  }

  /** The stored state, created (or re-anchored after a timing change) by the first leader to see it. */
  async #currentState(): Promise<ScheduleState> {
    const stored = parseState(this.#o.store.getItem(this.name));
    if (stored && stored.timing === this.#timing) return stored;
    const now = this.#o.clock.now();
    const written = await this.#o.store.update(this.name, (raw) => {
      const current = parseState(raw);
      if (current && current.timing === this.#timing) return raw;
      const anchor = this.#o.schedule.startTime?.getTime() ?? now;
      return stateJson({
        successes: 0,
        failures: 0,
        skipped: 0,
        ...current,
        anchor: iso(anchor),
        timing: this.#timing,
        limit: this.#o.schedule.completions,
      });
    });
    const state = parseState(written);
    if (!state) throw new Error(`the state of schedule ${this.name} could not be written`);
    return state;
  }

  async #claimAndRun(due: DueSlot, lastSlot: number): Promise<"ran" | "taken" | "fenced"> {
    const { clock, identity, store } = this.#o;
    const slot = iso(due.slot);
    let fenced = false;
    const written = await store.update(this.name, (raw) => {
      const state = parseState(raw);
      if (!state || this.#done(state)) return raw;
      if (state.lastSlot && Date.parse(state.lastSlot) >= due.slot) return raw;
      const now = clock.now();
      if (
        state.running &&
        state.running.by !== identity &&
        now - Date.parse(state.running.heartbeat) < this.#o.staleRunMs
      ) {
        fenced = true;
        return raw;
      }
      const missed = Number.isFinite(lastSlot) ? due.count - 1 : 0;
      return stateJson({
        ...state,
        lastSlot: slot,
        skipped: state.skipped + missed,
        running: { by: identity, slot, heartbeat: iso(now) },
      });
    });
    const claimed = parseState(written);
    if (claimed?.running?.by !== identity || claimed.running.slot !== slot) return fenced ? "fenced" : "taken";
    if (Number.isFinite(lastSlot) && due.count > 1) {
      scheduleMetrics.skipped.inc(this.#labels, due.count - 1);
      this.#o.log.warn({ skipped: due.count - 1, slot }, "schedule slots were missed; running the latest");
    }
    await this.#run(slot);
    return "ran";
  }

  async #run(slot: string): Promise<void> {
    const { clock, identity, store, schedule } = this.#o;
    this.#abort = new AbortController();
    const startedAt = clock.now();
    let heartbeat: TimerHandle | undefined;
    const beat = () => {
      heartbeat = clock.setTimeout(() => {
        void store
          .update(this.name, (raw) => {
            const state = parseState(raw);
            if (state?.running?.by !== identity) return raw;
            return stateJson({ ...state, running: { ...state.running, heartbeat: iso(clock.now()) } });
          })
          .catch((error: unknown) => this.#o.log.warn({ err: error }, "schedule heartbeat failed"));
        beat();
      }, this.#o.heartbeatMs);
    };
    beat();
    let error: unknown;
    try {
      await schedule.run(this.#abort.signal);
    } catch (thrown) {
      error = thrown ?? new Error("the job threw");
    } finally {
      if (heartbeat) clock.clearTimeout(heartbeat);
      this.#abort = undefined;
    }
    const finishedAt = clock.now();
    const outcome = error === undefined ? "succeeded" : "failed";
    scheduleMetrics.runs.inc({ ...this.#labels, outcome });
    scheduleMetrics.duration.observe(this.#labels, (finishedAt - startedAt) / 1000);
    if (outcome === "succeeded") scheduleMetrics.lastSuccess.set(this.#labels, finishedAt / 1000);
    else this.#o.log.error({ err: error, slot }, "schedule run failed");
    await this.#record(slot, startedAt, finishedAt, error);
  }

  /** Writes the outcome; retried, because a lost record would let `completions` undercount. */
  async #record(slot: string, startedAt: number, finishedAt: number, error: unknown): Promise<void> {
    const { identity, store } = this.#o;
    for (let attempt = 1; ; attempt++) {
      try {
        await store.update(this.name, (raw) => {
          const state = parseState(raw);
          if (!state) return raw;
          const ok = error === undefined;
          return stateJson({
            ...state,
            running: state.running?.by === identity ? undefined : state.running,
            successes: state.successes + (ok ? 1 : 0),
            failures: state.failures + (ok ? 0 : 1),
            lastRun: {
              slot,
              by: identity,
              startedAt: iso(startedAt),
              finishedAt: iso(finishedAt),
              outcome: ok ? "succeeded" : "failed",
              ...(ok ? {} : { error: error instanceof Error ? error.message : String(error) }),
            },
          });
        });
        return;
      } catch (failure) {
        if (attempt >= 10) throw failure;
        await new Promise<void>((resolve) => this.#o.clock.setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt)));
      }
    }
  }
}
