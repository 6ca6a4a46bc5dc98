/** A watch stream was silent longer than the idle timeout while the event loop was free to read it. */
export class IdleTimeoutError extends Error {
  constructor(silentMs: number) {
    super(`the watch sent nothing (not even a bookmark) for ${(silentMs / 1000).toFixed(1)} s; reconnecting`);
    this.name = "IdleTimeoutError";
  }
}

export type StallKind = "stream" | "delivery";

export interface WatchdogOptions {
  /** Stream silence (event-loop time, not wall time) after which the watch is presumed dead. */
  readonly idleTimeoutMs: number;
  /** Queued events with no delivery progress for this long (event-loop time) mark delivery stalled. */
  readonly deliveryStallMs: number;
  /** Events waiting for subscribers. */
  readonly pending: () => number;
  readonly onStall: (kind: StallKind, silentMs: number) => void;
  readonly onRecover: (kind: StallKind, stalledMs: number) => void;
  /** Default: a quarter of the idle timeout, at most 1 s. */
  readonly tickMs?: number;
}

/**
 * Tells a silent watch from a busy process. A ticker measures how long the stream has been silent
 * and how long queued events have waited, counting only time the event loop was free: a tick that
 * comes late means the loop was blocked (a synchronous call, a CPU-bound callback, a GC pause), and
 * that time is not the connection's fault. The tick after a block makes no judgement, because
 * timers run before the loop reads sockets, and data that arrived during the block is still unread.
 *
 * Stream stall: a connection open (or opening) and not held back by backpressure has been silent
 * longer than the idle timeout. The API server sends every watch a bookmark with its current
 * resourceVersion about once a minute, so that silence means the server has moved on and this
 * watch is not hearing it. The watchdog aborts the connection (the reflector resumes from its last
 * resourceVersion) and the stall lasts until a new watch is accepted. Delivery stall: events wait
 * while no subscriber call completes; it lasts until one does.
 */
export class StallWatchdog {
  readonly #options: WatchdogOptions;
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  #connection: AbortController | undefined;
  #holding = false;
  #silentMs = 0;
  #waitingMs = 0;
  #blockedMs = 0;
  readonly #since = new Map<StallKind, number>();

  constructor(options: WatchdogOptions) {
    this.#options = options;
    this.#tickMs = options.tickMs ?? Math.max(10, Math.min(1000, options.idleTimeoutMs / 4));
  }

  start(): void {
    if (this.#timer) return;
    this.#lastTick = Date.now();
    this.#timer = setInterval(() => this.tick(), this.#tickMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#connection = undefined;
  }

  /** The kind of stall in progress, if any (a stream stall first). */
  get stalled(): StallKind | undefined {
    return this.#since.has("stream") ? "stream" : this.#since.has("delivery") ? "delivery" : undefined;
  }

  /** How long the current stall has lasted (ms), 0 when none. */
  stalledMs(now = Date.now()): number {
    const since = this.#since.get(this.stalled ?? "stream");
    return since === undefined ? 0 : now - since;
  }

  /** Total time the event loop was seen blocked (ms). */
  get blockedMs(): number {
    return this.#blockedMs;
  }

  /** A watch request is being sent; aborting `connection` ends it. */
  watchOpening(connection: AbortController): void {
    this.#connection = connection;
    this.#silentMs = 0;
    this.#holding = false;
  }

  /** The server accepted the watch: everything after our resourceVersion is on its way. */
  watchOpened(): void {
    this.#silentMs = 0;
    this.#recover("stream");
  }

  watchClosed(): void {
    this.#connection = undefined;
  }

  /** A line (event or bookmark) came off the stream. */
  streamProgress(): void {
    this.#silentMs = 0;
  }

  /** The reflector is waiting for room in the queue: the stream is deliberately not being read. */
  holding(on: boolean): void {
    this.#holding = on;
    if (!on) this.#silentMs = 0;
  }

  /** A queued item was fully delivered. */
  delivered(): void {
    this.#waitingMs = 0;
    this.#recover("delivery");
  }

  /** One watchdog step; public for tests that drive time themselves. */
  tick(now = Date.now()): void {
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    if (elapsed > 2 * this.#tickMs) {
      this.#blockedMs += elapsed - this.#tickMs;
      return;
    }
    if (this.#options.pending() > 0) this.#waitingMs += elapsed;
    else this.#waitingMs = 0;
    if (this.#waitingMs >= this.#options.deliveryStallMs) this.#stall("delivery", this.#waitingMs, now);
    const connection = this.#connection;
    if (!connection || this.#holding) return;
    this.#silentMs += elapsed;
    if (this.#silentMs >= this.#options.idleTimeoutMs) {
      const silent = this.#silentMs;
      this.#silentMs = 0;
      this.#connection = undefined;
      this.#stall("stream", silent, now);
      connection.abort(new IdleTimeoutError(silent));
    }
  }

  #stall(kind: StallKind, silentMs: number, now: number): void {
    if (this.#since.has(kind)) return;
    this.#since.set(kind, now - silentMs);
    this.#options.onStall(kind, silentMs);
  }

  #recover(kind: StallKind): void {
    const since = this.#since.get(kind);
    if (since === undefined) return;
    this.#since.delete(kind);
    this.#options.onRecover(kind, Date.now() - since);
  }
}
