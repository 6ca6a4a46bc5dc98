import { describe, expect, it } from "vitest";
import { Backoff, backoffCeiling, equalJitter, symmetricJitter } from "../../../src/time/index.ts";

describe("Backoff", () => {
  it("doubles up to the maximum, jittered between half and all of the ceiling", () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(high.failures).toBe(6);
  });

  it("starts over after a reset", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it("never retries sooner than Retry-After asks, and at most twice as late", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 60_000, random: () => 1 });
    expect(backoff.nextAfter(3)).toBe(3000);
    for (let i = 0; i < 20; i++) backoff.next();
    expect(backoff.nextAfter(3)).toBe(6000);
  });

  it("stays bounded after very many failures", () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    for (let i = 0; i < 10_000; i++) expect(backoff.next()).toBeLessThanOrEqual(30_000);
  });

  it("rejects nonsensical settings", () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs must be > 0/);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(/maxMs >= initialMs/);
  });
});

describe("the backoff curve and its jitters", () => {
  it("grows by the multiplier from the initial delay and stops at the maximum, even past overflow", () => {
    const curve = { initialMs: 100, multiplier: 3, maxMs: 5_000 };
    expect([0, 1, 2, 3, 4].map((n) => backoffCeiling(curve, n))).toEqual([100, 300, 900, 2_700, 5_000]);
    expect(backoffCeiling({ initialMs: 500, multiplier: 2, maxMs: 30_000 }, 5_000)).toBe(30_000);
  });

  it("equal jitter stays within half and all of the ceiling; symmetric jitter within the fraction around it", () => {
    expect([0, 0.5, 1].map((r) => equalJitter(1_000, () => r))).toEqual([500, 750, 1_000]);
    expect([0, 0.5, 1].map((r) => symmetricJitter(1_000, 0.2, () => r))).toEqual([800, 1_000, 1_200]);
    expect(symmetricJitter(1_000, 0, () => 0)).toBe(1_000);
  });
});
