import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IdleTimeoutError, type StallKind, StallWatchdog } from "../../../src/informer/watchdog.ts";

const idleTimeoutMs = 2_000;
const tickMs = 500;

function setup(pending = () => 0) {
  const log: string[] = [];
  const watchdog = new StallWatchdog({
    idleTimeoutMs,
    deliveryStallMs: 3_000,
    tickMs,
    pending,
    onStall: (kind: StallKind, ms: number) => log.push(`stall ${kind} ${ms}`),
    onRecover: (kind: StallKind, ms: number) => log.push(`recover ${kind} ${ms}`),
  });
  watchdog.start();
  return { watchdog, log };
}

/** The event loop blocked for `ms`: the clock moves, no timer runs until it is over. */
function block(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("StallWatchdog", () => {
  it("declares a silent open watch stalled after the idle timeout, aborts it, and recovers when a new watch is accepted", () => {
    const { watchdog, log } = setup();
    const connection = new AbortController();
    watchdog.watchOpening(connection);
    watchdog.watchOpened();
    vi.advanceTimersByTime(1_500);
    watchdog.streamProgress();
    vi.advanceTimersByTime(1_500);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(log).toEqual(["stall stream 2000"]);
    expect(connection.signal.reason).toBeInstanceOf(IdleTimeoutError);
    expect(watchdog.stalled).toBe("stream");
    watchdog.watchClosed();

    // Reconnect attempts that hang keep the stall going; one accepted watch ends it.
    watchdog.watchOpening(new AbortController());
    vi.advanceTimersByTime(1_000);
    expect(watchdog.stalledMs()).toBe(3_000);
    watchdog.watchOpened();
    expect(log).toEqual(["stall stream 2000", "recover stream 3000"]);
    expect(watchdog.stalled).toBeUndefined();
  });

  it("does not count time the event loop was blocked as silence, even blocks far longer than the idle timeout", () => {
    const { watchdog, log } = setup();
    const connection = new AbortController();
    watchdog.watchOpening(connection);
    watchdog.watchOpened();
    vi.advanceTimersByTime(1_000);
    block(3 * idleTimeoutMs);
    // The first tick after the block runs before the socket is read: no judgement.
    vi.advanceTimersByTime(tickMs);
    expect(log).toEqual([]);
    watchdog.streamProgress();
    vi.advanceTimersByTime(1_500);
    expect(log).toEqual([]);
    expect(connection.signal.aborted).toBe(false);
    expect(watchdog.blockedMs).toBeGreaterThanOrEqual(3 * idleTimeoutMs);
  });

  it("still detects real silence between repeated short blocks", () => {
    const { watchdog, log } = setup();
    watchdog.watchOpening(new AbortController());
    watchdog.watchOpened();
    for (let i = 0; i < 10 && log.length === 0; i++) {
      block(1_200);
      vi.advanceTimersByTime(tickMs); // the late tick
      vi.advanceTimersByTime(tickMs); // a free one
    }
    vi.advanceTimersByTime(idleTimeoutMs);
    expect(log).toEqual([expect.stringMatching(/^stall stream /)]);
  });

  it("does not count silence while the reflector is held back by a full queue", () => {
    let pending = 0;
    const { watchdog, log } = setup(() => pending);
    const connection = new AbortController();
    watchdog.watchOpening(connection);
    watchdog.watchOpened();
    watchdog.holding(true);
    pending = 5;
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1_000);
      watchdog.delivered();
    }
    expect(log).toEqual([]);
    watchdog.holding(false);
    vi.advanceTimersByTime(1_500);
    expect(connection.signal.aborted).toBe(false);
  });

  it("declares delivery stalled when events wait and no subscriber call completes, until one does", () => {
    let pending = 0;
    const { watchdog, log } = setup(() => pending);
    vi.advanceTimersByTime(5_000);
    expect(log).toEqual([]);
    pending = 3;
    vi.advanceTimersByTime(2_500);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(log).toEqual(["stall delivery 3000"]);
    expect(watchdog.stalled).toBe("delivery");
    vi.advanceTimersByTime(1_000);
    watchdog.delivered();
    expect(log).toEqual(["stall delivery 3000", "recover delivery 4000"]);
  });

  it("does not call a callback that blocks the loop a delivery stall", () => {
    const pending = 3;
    const { log } = setup(() => pending);
    for (let i = 0; i < 10; i++) {
      block(4_000);
      vi.advanceTimersByTime(tickMs);
    }
    expect(log).toEqual([]);
  });
});
