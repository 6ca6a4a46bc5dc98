import { describe, expect, it } from "vitest";
import { Distributor } from "../../../src/informer/distributor.ts";
import type { InformerEvent } from "../../../src/informer/types.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";

const cm = (name: string, rv: string): KubernetesObject => ({
  kind: "ConfigMap",
  metadata: { namespace: "n", name, resourceVersion: rv, uid: name },
});
const show = (e: InformerEvent) => `${e.type} ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}`;
const tick = () => new Promise((resolve) => setImmediate(resolve));

function distributor(capacity = 100) {
  const errors: unknown[] = [];
  let synced = 0;
  const d = new Distributor({
    capacity,
    onHandlerError: (error) => errors.push(error),
    onSynced: () => synced++,
  });
  const running = d.run();
  return { d, errors, synced: () => synced, running };
}

describe("Distributor", () => {
  it("delivers every event to every subscriber in order, waiting for slow handlers", async () => {
    const { d, running } = distributor();
    const fast: string[] = [];
    const slow: string[] = [];
    d.subscribe((e) => {
      fast.push(show(e));
    });
    d.subscribe(async (e) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      slow.push(show(e));
    });
    await d.sink.replace([cm("a", "1")]);
    for (let i = 2; i < 30; i++) await d.sink.event("MODIFIED", cm("a", String(i)));
    await d.sink.event("DELETED", cm("a", "30"));
    while (d.pending > 0 || slow.length < 30) await tick();
    const expected = ["ADDED a@1", ...Array.from({ length: 28 }, (_, i) => `MODIFIED a@${i + 2}`), "DELETED a@30"];
    expect(fast).toEqual(expected);
    expect(slow).toEqual(expected);
    d.close();
    await running;
  });

  it("signals sync once, after the first list is delivered, and turns relists into differences", async () => {
    const { d, synced, running } = distributor();
    const seen: string[] = [];
    d.subscribe((e) => {
      seen.push(show(e));
    });
    await d.sink.replace([cm("a", "1"), cm("b", "2")]);
    await d.sink.replace([cm("b", "3"), cm("c", "4")]);
    while (d.pending > 0 || seen.length < 5) await tick();
    expect(seen).toEqual(["ADDED a@1", "ADDED b@2", "DELETED a@1", "MODIFIED b@3", "ADDED c@4"]);
    expect(synced()).toBe(1);
    expect(d.synced).toBe(true);
    d.close();
    await running;
  });

  it("replays the cache to a late subscriber before the events after it", async () => {
    const { d, running } = distributor();
    d.subscribe(() => {});
    await d.sink.replace([cm("a", "1"), cm("b", "1")]);
    await d.sink.event("MODIFIED", cm("a", "2"));
    while (d.pending > 0) await tick();
    const late: string[] = [];
    d.subscribe((e) => {
      late.push(show(e));
    });
    await d.sink.event("MODIFIED", cm("b", "2"));
    while (late.length < 3) await tick();
    expect(late).toEqual(["ADDED a@2", "ADDED b@1", "MODIFIED b@2"]);
    d.close();
    await running;
  });

  it("holds the producer while handlers are behind (backpressure)", async () => {
    const { d, running } = distributor(2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    d.subscribe(() => gate);
    await d.sink.replace([cm("a", "1")]);
    let accepted = 0;
    const producer = (async () => {
      for (let i = 2; i < 10; i++) {
        await d.sink.event("MODIFIED", cm("a", String(i)));
        accepted++;
      }
    })();
    for (let i = 0; i < 10; i++) await tick();
    expect(accepted).toBe(2);
    release();
    await producer;
    expect(accepted).toBe(8);
    d.close();
    await running;
  });

  it("reports a failing handler and keeps delivering to it and the others", async () => {
    const { d, errors, running } = distributor();
    const others: string[] = [];
    d.subscribe((e) => {
      if (e.object.metadata?.resourceVersion === "2") throw new Error("sync boom");
    });
    d.subscribe(async (e) => {
      if (e.object.metadata?.resourceVersion === "3") throw new Error("async boom");
    });
    d.subscribe((e) => {
      others.push(show(e));
    });
    await d.sink.replace([cm("a", "1")]);
    await d.sink.event("MODIFIED", cm("a", "2"));
    await d.sink.event("MODIFIED", cm("a", "3"));
    await d.sink.event("MODIFIED", cm("a", "4"));
    while (others.length < 4) await tick();
    expect(errors.map((e) => (e as Error).message)).toEqual(["sync boom", "async boom"]);
    expect(others).toEqual(["ADDED a@1", "MODIFIED a@2", "MODIFIED a@3", "MODIFIED a@4"]);
    d.close();
    await running;
  });

  it("stops delivering to a subscriber once it unsubscribes", async () => {
    const { d, running } = distributor();
    const seen: string[] = [];
    const unsubscribe = d.subscribe((e) => {
      seen.push(show(e));
    });
    await d.sink.replace([cm("a", "1")]);
    while (seen.length < 1) await tick();
    unsubscribe();
    await d.sink.event("MODIFIED", cm("a", "2"));
    while (d.pending > 0) await tick();
    await tick();
    expect(seen).toEqual(["ADDED a@1"]);
    expect(d.subscriberCount).toBe(0);
    d.close();
    await running;
  });
});
