import { describe, expect, it } from "vitest";
import { DEFAULT_HANDOVER_TIMINGS, handoverTime, simulateRing } from "../../../src/shard/simulation.ts";

// The 100 × 1,000,000 run is the bench's (bench/shard/simulate.ts); this one keeps 100 shards with
// fewer objects so it runs in about a second.
describe("ring simulation", () => {
  const report = simulateRing({ shards: 100, objects: 60_000, changes: 9, seed: 3 });

  it("runs joins, leaves and crashes in turn and ends with the expected member count", () => {
    expect(report.changes.map((c) => c.change.kind)).toEqual([
      "join",
      "leave",
      "crash",
      "join",
      "leave",
      "crash",
      "join",
      "leave",
      "crash",
    ]);
    expect(report.changes.at(-1)?.members).toBe(97);
    expect(new Set(report.changes.map((c) => c.change.shard)).size).toBe(9);
  });

  it("moves objects only to the joining shard or from the leaving one, about 1/n per change", () => {
    expect(report.strayMoves).toBe(0);
    for (const change of report.changes) {
      expect(change.moved).toBeGreaterThan(0);
      // One shard's share with 256 virtual nodes: within ±35 % of 1/n at 600 objects a shard.
      expect(change.movedFraction / change.idealFraction).toBeGreaterThan(0.65);
      expect(change.movedFraction / change.idealFraction).toBeLessThan(1.35);
    }
    expect(report.movedOverIdeal.mean).toBeGreaterThan(0.85);
    expect(report.movedOverIdeal.mean).toBeLessThan(1.15);
  });

  it("keeps the busiest shard under 1.4× the mean through every change", () => {
    expect(report.initialImbalance).toBeGreaterThan(1);
    expect(report.worstImbalance).toBeLessThan(1.4);
    expect(report.ringBytes).toBe(100 * 256 * 8);
  });

  it("balances worse with fewer virtual nodes (what the default of 256 is chosen against)", () => {
    const coarse = simulateRing({ shards: 100, objects: 60_000, changes: 0, vnodes: 8, seed: 3 });
    expect(coarse.initialImbalance).toBeGreaterThan(report.initialImbalance + 0.3);
  });

  it("refuses shard and object counts that are not whole numbers ≥ 1", () => {
    expect(() => simulateRing({ shards: 0, objects: 10, changes: 1 })).toThrow(
      /shards must be a whole number ≥ 1, got 0/,
    );
    expect(() => simulateRing({ shards: 2, objects: 0.5, changes: 1 })).toThrow(/objects must be .* got 0\.5/);
  });
});

describe("handover time model", () => {
  const t = { ...DEFAULT_HANDOVER_TIMINGS, leaseDurationMs: 15_000, renewPeriodMs: 2_000, assignerPeriodMs: 1_000 };

  it("is zero when nothing moves", () => {
    expect(handoverTime("crash", 0, t)).toEqual({ firstMs: 0, lastMs: 0 });
  });

  it("crash: L + A + M/Q + W + T for the last object, L − R + 1/Q + W + T for the first", () => {
    const timings = { ...t, reconcileMs: 100, watchDelayMs: 20, patchesPerSecond: 1000 };
    expect(handoverTime("crash", 2000, timings)).toEqual({
      firstMs: 15_000 - 2_000 + 1 + 20 + 100,
      lastMs: 15_000 + 1_000 + 2_000 + 20 + 100,
    });
  });

  it("join and leave drain: A + 2M/Q + 2W + 2T, no Lease wait", () => {
    const timings = { ...t, reconcileMs: 100, watchDelayMs: 20, patchesPerSecond: 1000 };
    for (const kind of ["join", "leave"] as const) {
      expect(handoverTime(kind, 2000, timings)).toEqual({ firstMs: 2 + 40 + 100, lastMs: 1_000 + 4_000 + 40 + 200 });
    }
  });
});
