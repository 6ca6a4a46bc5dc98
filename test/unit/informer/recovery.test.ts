import { describe, expect, it } from "vitest";
import { recoveryFor } from "../../../src/informer/reflector.ts";
import { apiErrorFor, ConnectionError } from "../../../src/k8s/errors.ts";
import { Backoff } from "../../../src/time/index.ts";

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
