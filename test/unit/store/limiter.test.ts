import { describe, expect, it } from "vitest";
import { Limiter } from "../../../src/store/limiter.ts";
import { settle } from "../../../src/time/fake-clock.ts";

describe("Limiter", () => {
  it("lets `limit` holders in at once and the next in order as each releases (once)", async () => {
    const limiter = new Limiter(2);
    const order: number[] = [];
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const waiting = [3, 4].map(async (n) => {
      const release = await limiter.acquire();
      order.push(n);
      return release;
    });
    await settle();
    expect(order).toEqual([]);
    releases[0]?.();
    releases[0]?.();
    await settle();
    expect(order).toEqual([3]);
    releases[1]?.();
    await settle();
    expect(order).toEqual([3, 4]);
    for (const release of await Promise.all(waiting)) release();
    expect(() => new Limiter(0)).toThrow(/positive integer/);
  });
});
