/** A timer returned by `Clock.setTimeout`; only ever handed back to `Clock.clearTimeout`. */
export interface TimerHandle {
  readonly id: number;
}

/**
 * Time as the engines see it. The controller, Store and scheduler wait and measure through a
 * `Clock`, so tests (and the public test kit) can drive them with `FakeClock`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

const liveTimers = new Map<number, NodeJS.Timeout>();
let nextTimerId = 1;

/** The wall clock and Node's timers. Timers are unref'd so a pending retry never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const id = nextTimerId++;
    const timer = globalThis.setTimeout(
      () => {
        liveTimers.delete(id);
        callback();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    liveTimers.set(id, timer);
    return { id };
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(liveTimers.get(handle.id));
    liveTimers.delete(handle.id);
  },
};
