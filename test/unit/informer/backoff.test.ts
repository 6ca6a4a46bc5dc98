import { describe, expect, it } from "vitest";
import { Backoff } from "../../../src/informer/backoff.ts";
import { recoveryFor } from "../../../src/informer/reflector.ts";
import { apiErrorFor, ConnectionError } from "../../../src/k8s/errors.ts";

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

describe("recoveryFor", () => {
  const failure = (status: number, retryAfterSeconds?: number) =>
    apiErrorFor({ status, method: "GET", path: "/api/v1/configmaps", body: {}, retryAfterSeconds });

  it("relists at once on 410 Gone without counting a failure", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    expect(recoveryFor(failure(410), backoff)).toBe("relist");
    expect(backoff.failures).toBe(0);
  });

  it("waits at least Retry-After on 429, and backs off exponentially on anything else", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    expect(recoveryFor(failure(429, 2), backoff)).toBe(2000);
    expect(recoveryFor(failure(500), backoff)).toBe(200);
    expect(recoveryFor(new ConnectionError("https://x", new Error("ECONNREFUSED")), backoff)).toBe(400);
    expect(recoveryFor(new Error("socket hang up"), backoff)).toBe(800);
    expect(backoff.failures).toBe(4);
  });
});
