import { describe, expect, it } from "vitest";
import { FakeClock, systemClock } from "../../../src/time/index.ts";

describe("FakeClock", () => {
  it("fires due timers in time order as it advances, and no timer before its time", async () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 500);
    await clock.advance(250);
    expect(fired).toEqual(["a@1100", "b@1200"]);
    expect(clock.now()).toBe(1_250);
    expect(clock.pendingTimers).toBe(1);
  });

  it("never fires a cleared timer", async () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.clearTimeout(handle);
    await clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it("jumps without firing timers; overdue timers fire on the next advance, late", async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 1_000);
    }, 1_000);
    clock.jump(5_000);
    expect(fired).toEqual([]);
    await clock.advance(0);
    expect(fired).toEqual([5_000]);
    await clock.runAll();
    expect(fired).toEqual([5_000, 6_000]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("systemClock", () => {
  it("fires a timer on the real event loop and can cancel one", async () => {
    let cancelledFired = false;
    const cancelled = systemClock.setTimeout(() => {
      cancelledFired = true;
    }, 1);
    systemClock.clearTimeout(cancelled);
    const started = systemClock.now();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(systemClock.now() - started).toBeGreaterThanOrEqual(4);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    expect(cancelledFired).toBe(false);
  });
});
