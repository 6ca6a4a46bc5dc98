import type { Clock, TimerHandle } from "./clock.ts";

interface FakeTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** Lets every pending promise continuation run (a few macrotask turns on the real event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told to. `advance` fires due timers in time order and lets the
 * promises they start settle between timers, so code under test behaves as it would in real time.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: FakeTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: FakeTimer = { id: this.#nextId++, due: this.#now + Math.max(0, delayMs), callback };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle.id);
  }

  /** How many timers are waiting. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#earliest();
      if (!next || next.due > target) break;
      this.#timers = this.#timers.filter((timer) => timer !== next);
      this.#now = Math.max(this.#now, next.due);
      next.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Moves time forward without firing timers, as if the event loop were blocked for `ms`. */
  jump(ms: number): void {
    this.#now += ms;
  }

  /** Fires timers until none is left or `limitMs` of fake time has passed. */
  async runAll(limitMs = 24 * 3600_000): Promise<void> {
    const deadline = this.#now + limitMs;
    await settle();
    for (let next = this.#earliest(); next && next.due <= deadline; next = this.#earliest()) {
      await this.advance(next.due - this.#now);
    }
  }

  #earliest(): FakeTimer | undefined {
    let earliest: FakeTimer | undefined;
    for (const timer of this.#timers) {
      if (!earliest || timer.due < earliest.due) earliest = timer;
    }
    return earliest;
  }
}
