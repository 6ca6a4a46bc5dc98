import { ApiError } from "../k8s/index.ts";
import type { ReconcileResult } from "../model/index.ts";
import { Log, LogField, type Logger } from "../telemetry/index.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/index.ts";
import { ExponentialBackoff, type RetryPolicy } from "./retry-policy.ts";
import { queueMetrics, reportQueue } from "./work-queue-metrics.ts";

export type { ReconcileResult };

export interface WorkItem<T> {
  /** The coalescing key: adds with the same key merge into one pending item. */
  readonly key: string;
  /** The serialisation lane: items of one lane never run at the same time. */
  readonly lane: string;
  /** The payload of the latest add. */
  readonly payload: T;
  /** 0 on a first run, n on the n-th retry after failures. */
  readonly attempt: number;
}

/** What a callback returns; `void` so that `async () => {}` fits. */
// biome-ignore lint/suspicious/noConfusingVoidType: callbacks written as `async () => {}` return Promise<void>
export type ProcessResult = ReconcileResult | undefined | void;

export type ProcessItem<T> = (item: WorkItem<T>) => Promise<ProcessResult> | ProcessResult;

export interface WorkQueueOptions<T> {
  /** Names the queue in metrics and logs. */
  readonly name: string;
  readonly process: ProcessItem<T>;
  /** Items of different lanes that may run at once. Default 10. */
  readonly workers?: number;
  /** Default: exponential backoff from 500 ms, doubling, capped at 60 s, ±20 % jitter, never giving up. */
  readonly retry?: RetryPolicy;
  readonly clock?: Clock;
  /** Source of jitter; injectable for tests. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Starts paused (a standby replica fills the queue but does not run it). */
  readonly paused?: boolean;
  /**
   * How an add combines with a payload that has not run yet. Default: the newer payload replaces
   * it (coalescing). A payload that already started running is never merged into.
   */
  readonly merge?: (pending: T, incoming: T) => T;
}

type EntryState = "ready" | "running" | "retrying" | "requeued";

interface Entry<T> {
  /** The entry's own key: the coalescing key, or a fresh one for an appended item. */
  readonly key: string;
  readonly lane: string;
  /** Appended items only: the object key a standby coalesces them by. */
  readonly appendedFor?: string;
  payload: T;
  /** The payload was handed to a callback; the next add starts a new one instead of merging. */
  consumed: boolean;
  state: EntryState;
  /** An add arrived while running: run again afterwards. */
  dirty: boolean;
  failures: number;
  readySince: number;
  startedAt: number;
  timer?: TimerHandle;
}

function newEntry<T>(key: string, lane: string, payload: T, state: EntryState, appendedFor?: string): Entry<T> {
  return {
    key,
    lane,
    appendedFor,
    payload,
    consumed: false,
    state,
    dirty: false,
    failures: 0,
    readySince: 0,
    startedAt: 0,
  };
}

interface Lane {
  readonly keys: string[];
  busy: boolean;
}

/**
 * A keyed, de-duplicating work queue in the style of controller-runtime's workqueue:
 *
 * - adds for the same key coalesce, so the callback sees the latest payload;
 * - one callback at a time per lane (the lane is the key itself unless an ordering strategy
 *   groups keys), `workers` callbacks across lanes, lanes served in FIFO order;
 * - a callback that throws runs again after its retry policy's delay; adds that arrive while an
 *   item waits for a retry update its payload without cutting the wait short;
 * - a callback may return `{ requeueAfter }`; an add before then runs it at once;
 * - `append` instead of `add` skips coalescing: every payload runs once, in lane order (Pepr's
 *   Reconcile queues), and a failed appended item is not retried, since a retry would run it out of
 *   order.
 */
export class WorkQueue<T> {
  readonly name: string;
  readonly #process: ProcessItem<T>;
  readonly #merge: (pending: T, incoming: T) => T;
  readonly #workers: number;
  readonly #retry: RetryPolicy;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #lanes = new Map<string, Lane>();
  /** Lanes with a ready item and nothing running, in the order they became ready. */
  readonly #readyLanes = new Set<string>();
  #running = 0;
  #readyCount = 0;
  #paused: boolean;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];
  /** Per object key, its newest appended item that has not started yet (what a standby coalesces into). */
  readonly #pendingAppends = new Map<string, Entry<T>>();
  #appendSeq = 0;
  readonly #unreport: () => void;

  constructor(options: WorkQueueOptions<T>) {
    this.name = options.name;
    this.#process = options.process;
    this.#workers = options.workers ?? 10;
    if (!(Number.isInteger(this.#workers) && this.#workers > 0)) {
      throw new RangeError(`work queue ${this.name}: workers must be a positive integer, got ${this.#workers}`);
    }
    this.#retry = options.retry ?? new ExponentialBackoff();
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#log = (options.logger ?? Log).child({ [LogField.queue]: this.name });
    this.#paused = options.paused ?? false;
    this.#merge = options.merge ?? ((_pending, incoming) => incoming);
    this.#unreport = reportQueue(() => this.#gauges());
  }

  /** Queues `key` with `payload`, merging with a pending item of the same key. */
  add(key: string, payload: T, lane: string = key): void {
    if (this.#stopped) return;
    queueMetrics.adds.inc({ queue: this.name });
    const entry = this.#entries.get(key);
    if (!entry) {
      const created = newEntry(key, lane, payload, "ready");
      this.#entries.set(key, created);
      this.#makeReady(created);
      return;
    }
    entry.payload = entry.consumed ? payload : this.#merge(entry.payload, payload);
    entry.consumed = false;
    queueMetrics.coalesced.inc({ queue: this.name });
    if (entry.state === "running") entry.dirty = true;
    else if (entry.state === "requeued") this.#makeReady(entry);
  }

  /**
   * Queues `payload` as an item of its own behind everything already in `lane`: it runs once, after
   * every earlier item of the lane, whatever else arrives for `key`. While the queue is paused (a
   * standby replica) items of one `key` still coalesce into the newest one, so a standby holds at
   * most one item per object however long it waits.
   */
  append(key: string, payload: T, lane: string): void {
    if (this.#stopped) return;
    queueMetrics.adds.inc({ queue: this.name });
    const pending = this.#paused ? this.#pendingAppends.get(key) : undefined;
    if (pending && pending.state === "ready") {
      pending.payload = payload;
      queueMetrics.coalesced.inc({ queue: this.name });
      return;
    }
    const entry = newEntry(`${key}\u0000${++this.#appendSeq}`, lane, payload, "ready", key);
    this.#entries.set(entry.key, entry);
    this.#pendingAppends.set(key, entry);
    this.#makeReady(entry);
  }

  /** Queues `key` once `delayMs` has passed (unless it is added sooner). */
  addAfter(key: string, payload: T, delayMs: number, lane: string = key): void {
    if (this.#stopped) return;
    if (this.#entries.has(key)) {
      this.add(key, payload, lane);
      return;
    }
    const entry = newEntry(key, lane, payload, "requeued");
    this.#entries.set(key, entry);
    this.#wait(entry, "requeued", delayMs);
  }

  /** Items ready to run. */
  get depth(): number {
    return this.#readyCount;
  }

  /** Callbacks running now. */
  get running(): number {
    return this.#running;
  }

  /** Every item the queue knows: ready, running or waiting for a timer. */
  get size(): number {
    return this.#entries.size;
  }

  /** Seconds the longest-running callback has been running; 0 when none runs. */
  get longestRunningSeconds(): number {
    let longest = 0;
    const now = this.#clock.now();
    for (const entry of this.#entries.values()) {
      if (entry.state === "running") longest = Math.max(longest, (now - entry.startedAt) / 1000);
    }
    return longest;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Whether a callback runs now for a key `match` accepts (appended items count by their object key). */
  isRunning(match: (key: string) => boolean): boolean {
    return this.#any(match, (state) => state === "running");
  }

  /** Whether an item of a key `match` accepts runs now or is ready to run (not waiting for a timer). */
  isRunningOrReady(match: (key: string) => boolean): boolean {
    return this.#any(match, (state) => state === "running" || state === "ready");
  }

  #any(match: (key: string) => boolean, inState: (state: EntryState) => boolean): boolean {
    for (const entry of this.#entries.values()) {
      if (inState(entry.state) && match(entry.appendedFor ?? entry.key)) return true;
    }
    return false;
  }

  /** Stops starting new callbacks; running ones finish. Adds keep coalescing. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (this.#stopped) return;
    this.#paused = false;
    this.#pump();
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Resolves once no callback runs and none can start now (timers may still be pending). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops pending items and timers and waits for running callbacks to finish. */
  async shutDown(): Promise<void> {
    this.#stopped = true;
    this.#paused = true;
    for (const entry of this.#entries.values()) {
      if (entry.timer) this.#clock.clearTimeout(entry.timer);
    }
    for (const [key, entry] of this.#entries) if (entry.state !== "running") this.#entries.delete(key);
    this.#pendingAppends.clear();
    this.#lanes.clear();
    this.#readyLanes.clear();
    this.#readyCount = 0;
    await this.idle();
    this.#unreport();
  }

  #makeReady(entry: Entry<T>): void {
    if (entry.timer) {
      this.#clock.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    entry.state = "ready";
    entry.readySince = this.#clock.now();
    this.#readyCount++;
    let lane = this.#lanes.get(entry.lane);
    if (!lane) {
      lane = { keys: [], busy: false };
      this.#lanes.set(entry.lane, lane);
    }
    lane.keys.push(entry.key);
    if (!lane.busy) this.#readyLanes.add(entry.lane);
    this.#pump();
  }

  #wait(entry: Entry<T>, state: "retrying" | "requeued", delayMs: number): void {
    entry.state = state;
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined;
      if (this.#entries.get(entry.key) === entry) this.#makeReady(entry);
    }, delayMs);
  }

  #pump(): void {
    while (!this.#paused && this.#running < this.#workers) {
      const laneName = this.#readyLanes.values().next().value;
      if (laneName === undefined) break;
      this.#readyLanes.delete(laneName);
      const lane = this.#lanes.get(laneName);
      const key = lane?.keys.shift();
      const entry = key === undefined ? undefined : this.#entries.get(key);
      if (!lane || !entry) continue;
      lane.busy = true;
      this.#readyCount--;
      this.#running++;
      void this.#run(entry, lane);
    }
    this.#notifyIdle();
  }

  async #run(entry: Entry<T>, lane: Lane): Promise<void> {
    if (entry.appendedFor !== undefined && this.#pendingAppends.get(entry.appendedFor) === entry) {
      this.#pendingAppends.delete(entry.appendedFor);
    }
    entry.state = "running";
    entry.dirty = false;
    entry.consumed = true;
    const payload = entry.payload;
    entry.startedAt = this.#clock.now();
    queueMetrics.queueSeconds.observe({ queue: this.name }, (entry.startedAt - entry.readySince) / 1000);
    let result: ProcessResult;
    let failure: { error: unknown } | undefined;
    try {
      result = await this.#process({
        key: entry.key,
        lane: entry.lane,
        payload: entry.payload,
        attempt: entry.failures,
      });
    } catch (error) {
      failure = { error };
    }
    queueMetrics.workSeconds.observe({ queue: this.name }, (this.#clock.now() - entry.startedAt) / 1000);
    this.#running--;
    lane.busy = false;
    if (lane.keys.length > 0) this.#readyLanes.add(entry.lane);
    else this.#lanes.delete(entry.lane);
    if (this.#stopped) this.#entries.delete(entry.key);
    else if (failure) this.#afterFailure(entry, payload, failure.error);
    else this.#afterSuccess(entry, result);
    this.#pump();
  }

  #afterSuccess(entry: Entry<T>, result: ProcessResult): void {
    entry.failures = 0;
    const requeueAfter = result?.requeueAfter;
    if (entry.dirty) this.#makeReady(entry);
    else if (requeueAfter !== undefined && requeueAfter >= 0) this.#wait(entry, "requeued", requeueAfter);
    else this.#entries.delete(entry.key);
  }

  #afterFailure(entry: Entry<T>, failed: T, error: unknown): void {
    entry.failures++;
    queueMetrics.failures.inc({ queue: this.name });
    const message = error instanceof Error ? error.message : String(error);
    if (entry.appendedFor !== undefined) {
      queueMetrics.givenUp.inc({ queue: this.name });
      this.#log.error({ key: entry.appendedFor, err: message }, "callback failed; an appended item is not retried");
      this.#entries.delete(entry.key);
      return;
    }
    const policyDelay = this.#retry.delayMs(entry.failures, this.#random);
    if (policyDelay === undefined) {
      queueMetrics.givenUp.inc({ queue: this.name });
      this.#log.error(
        { key: entry.key, failures: entry.failures, err: message },
        "callback failed; retry policy gave up",
      );
      entry.failures = 0;
      if (entry.dirty) this.#makeReady(entry);
      else this.#entries.delete(entry.key);
      return;
    }
    // A retry runs what failed together with anything added meanwhile.
    entry.payload = entry.dirty ? this.#merge(failed, entry.payload) : failed;
    entry.consumed = false;
    const serverDelay = error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
    const delayMs = Math.max(policyDelay, serverDelay);
    queueMetrics.retries.inc({ queue: this.name });
    this.#log.warn({ key: entry.key, attempt: entry.failures, delayMs, err: message }, "callback failed; will retry");
    this.#wait(entry, "retrying", delayMs);
  }

  #isIdle(): boolean {
    return this.#running === 0 && (this.#paused || this.#readyCount === 0);
  }

  #notifyIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #gauges() {
    return {
      name: this.name,
      depth: this.#readyCount,
      waiting: this.#entries.size - this.#readyCount - this.#running,
      longestRunningSeconds: this.longestRunningSeconds,
    };
  }
}
