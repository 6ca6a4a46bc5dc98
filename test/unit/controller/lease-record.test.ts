import { describe, expect, it } from "vitest";
import {
  claim,
  heldByOtherUntil,
  type Lease,
  microTime,
  observe,
  released,
} from "../../../src/controller/lease-record.ts";

function lease(holderIdentity: string, renewTime: string, leaseDurationSeconds = 15): Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "l", namespace: "n", resourceVersion: "1" },
    spec: { holderIdentity, renewTime, leaseDurationSeconds, leaseTransitions: 2 },
  };
}

describe("lease records", () => {
  it("writes MicroTime with six fractional digits", () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03:04:05.678000Z");
  });

  it("measures expiry from when this replica saw the record change, not from the holder's clock", () => {
    const first = observe(undefined, lease("a", "2000-01-01T00:00:00.000000Z"), 1_000);
    expect(heldByOtherUntil(first, "b")).toBe(16_000);
    const same = observe(first, lease("a", "2000-01-01T00:00:00.000000Z"), 9_000);
    expect(heldByOtherUntil(same, "b")).toBe(16_000);
    const renewed = observe(same, lease("a", "2000-01-01T00:00:02.000000Z"), 10_000);
    expect(heldByOtherUntil(renewed, "b")).toBe(25_000);
  });

  it("treats an empty holder and one's own holdership as free", () => {
    expect(heldByOtherUntil(observe(undefined, lease("", "x"), 0), "b")).toBeUndefined();
    expect(heldByOtherUntil(observe(undefined, lease("b", "x"), 0), "b")).toBeUndefined();
  });

  it("counts a transition when the holder changes and keeps acquireTime on renew", () => {
    const taken = claim(lease("a", "x").spec, "b", 15, 5_000);
    expect(taken).toMatchObject({ holderIdentity: "b", leaseTransitions: 3, acquireTime: microTime(5_000) });
    const renewed = claim(taken, "b", 15, 7_000);
    expect(renewed).toMatchObject({ leaseTransitions: 3, acquireTime: microTime(5_000), renewTime: microTime(7_000) });
    expect(claim({}, "a", 15, 0).leaseTransitions).toBe(0);
  });

  it("clears the holder on release", () => {
    expect(released(lease("a", "x").spec, 0)).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1 });
  });
});
