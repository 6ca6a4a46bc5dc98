import type { ScheduleDefinition } from "../model/index.ts";
import { Log, LogField, type Logger } from "../telemetry/index.ts";
import { type Clock, systemClock } from "../time/index.ts";
import type { LeaderSignal } from "./leadership.ts";
import { ScheduleRunner, type ScheduleStore } from "./runner.ts";
import { validateSchedule } from "./validate.ts";

export interface SchedulerOptions {
  readonly leader: LeaderSignal;
  /** This replica's name in run records (use the leader elector's identity). */
  readonly identity: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Default 10 s. */
  readonly heartbeatMs?: number;
  /** Default 30 s: a run not heard of for this long is taken to have died with its replica. */
  readonly staleRunMs?: number;
}

/**
 * Runs a module's schedules on the leader only. Leadership comes from the injected signal (the
 * controller's Lease election in a cluster); every slot is still claimed atomically in the store,
 * so even two replicas that both believe they lead cannot run a slot twice.
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #runners: ScheduleRunner[] = [];
  readonly #names = new Set<string>();
  #unsubscribe: (() => void) | undefined;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? Log).child({
      [LogField.component]: "schedule",
      [LogField.identity]: options.identity,
    });
  }

  /** Adds a schedule of a capability; `store` is the capability's schedule view of the module's store. */
  add(capability: string, schedule: ScheduleDefinition, store: ScheduleStore): void {
    validateSchedule(schedule);
    const id = `${capability}/${schedule.name}`;
    if (this.#names.has(id))
      throw new Error(`OnSchedule "${schedule.name}" is defined twice in capability ${capability}`);
    this.#names.add(id);
    const runner = new ScheduleRunner({
      capability,
      schedule,
      store,
      clock: this.#clock,
      identity: this.#options.identity,
      log: this.#log.child({ [LogField.capability]: capability, [LogField.schedule]: schedule.name }),
      heartbeatMs: this.#options.heartbeatMs ?? 10_000,
      staleRunMs: this.#options.staleRunMs ?? 30_000,
    });
    this.#runners.push(runner);
    if (this.#unsubscribe && this.#options.leader.isLeader) runner.activate();
  }

  /** Follows leadership from now on: runs schedules while leading. Call once the store is ready. */
  start(): void {
    if (this.#unsubscribe) return;
    // Pepr's line (debug) once the schedules' store is ready; its docs and module tests look for it.
    this.#log.debug("Scheduling processed");
    this.#unsubscribe = this.#options.leader.onChange((leading) => {
      this.#log.info({ leading }, leading ? "leading: schedules start" : "not leading: schedules stop");
      if (leading) for (const runner of this.#runners) runner.activate();
      else void this.#deactivate();
    });
    if (this.#options.leader.isLeader) for (const runner of this.#runners) runner.activate();
  }

  /** Stops starting runs and waits for runs in progress (their signal is aborted). */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#deactivate();
  }

  async #deactivate(): Promise<void> {
    await Promise.all(this.#runners.map((runner) => runner.deactivate()));
  }
}
