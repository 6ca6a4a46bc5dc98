import { describe, expect, it } from "vitest";
import { BoundedQueue } from "../../../src/informer/bounded-queue.ts";

describe("BoundedQueue", () => {
  it("delivers in order and makes the producer wait while full (backpressure)", async () => {
    const queue = new BoundedQueue<number>(2);
    const accepted: number[] = [];
    const producer = (async () => {
      for (let i = 0; i < 5; i++) {
        await queue.push(i);
        accepted.push(i);
      }
    })();
    await new Promise((resolve) => setImmediate(resolve));
    expect(accepted).toEqual([0, 1]);
    expect(queue.length).toBe(2);
    const taken: number[] = [];
    for (let i = 0; i < 5; i++) taken.push((await queue.take()) as number);
    await producer;
    expect(taken).toEqual([0, 1, 2, 3, 4]);
  });

  it("puts replays in front without waiting for room", async () => {
    const queue = new BoundedQueue<string>(1);
    await queue.push("event");
    queue.pushFront("replay");
    expect(await queue.take()).toBe("replay");
    expect(await queue.take()).toBe("event");
  });

  it("keeps order across internal compaction of a long run", async () => {
    const queue = new BoundedQueue<number>(10_000);
    for (let i = 0; i < 5000; i++) await queue.push(i);
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) out.push((await queue.take()) as number);
    for (let i = 5000; i < 6000; i++) await queue.push(i);
    while (queue.length > 0) out.push((await queue.take()) as number);
    expect(out).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });

  it("wakes a waiting consumer and producer on close", async () => {
    const queue = new BoundedQueue<number>(1);
    const consumer = queue.take();
    queue.close();
    expect(await consumer).toBeUndefined();
    const full = new BoundedQueue<number>(1);
    await full.push(1);
    const blocked = full.push(2);
    full.close();
    await blocked;
    expect(full.length).toBe(0);
    expect(() => new BoundedQueue(0)).toThrow(/at least 1/);
  });
});
