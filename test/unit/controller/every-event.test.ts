import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/dispatch/controller.ts";
import { MemorySource } from "../../../src/controller/dispatch/memory-source.ts";
import { laneOf, type OrderingStrategy, type ReconcileDelivery } from "../../../src/controller/ordering.ts";
import { ExponentialBackoff } from "../../../src/controller/retry-policy.ts";
import { WorkQueue } from "../../../src/controller/work-queue.ts";
import { scopeKey } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { WatchPhase } from "../../../src/model/events.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { reconcileSettings } from "../../../src/runtime/reconcile-settings.ts";
import { Log, type Logger } from "../../../src/telemetry/logger.ts";
import { controllerTester } from "../../../src/testing/index.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";

const quiet = Log.child({}, { level: "silent" });

function gate() {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function configMap(namespace: string, name: string, generation: number): KubernetesObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name, generation } };
}

let count = 0;
function appendQueue(process: (payload: string) => Promise<unknown> | unknown, paused = false) {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({
    name: `every-${++count}`,
    clock,
    logger: quiet,
    paused,
    retry: new ExponentialBackoff({ initialMs: 100, jitter: 0 }),
    process: ({ payload }) => process(payload) as undefined,
  });
  return { q, clock };
}

describe("WorkQueue.append", () => {
  it("runs every payload once, in the order of its lane, never coalescing while running", async () => {
    const seen: string[] = [];
    const hold = gate();
    const { q } = appendQueue(async (payload) => {
      seen.push(payload);
      if (payload === "x1") await hold.promise;
    });
    for (let i = 1; i <= 5; i++) q.append("x", `x${i}`, "lane");
    await settle();
    expect(seen).toEqual(["x1"]);
    hold.open();
    await q.idle();
    expect(seen).toEqual(["x1", "x2", "x3", "x4", "x5"]);
  });

  it.each<[OrderingStrategy, string[][]]>([
    // One lane per object: each object's events in order, objects side by side.
    [
      "kindNsName",
      [
        ["a1", "a2", "a3"],
        ["b1", "b2", "b3"],
        ["c1", "c2", "c3"],
      ],
    ],
    // One lane per namespace: a and b (namespace n1) interleave in arrival order; c (n2) apart.
    [
      "kindNs",
      [
        ["a1", "b1", "a2", "b2", "a3", "b3"],
        ["c1", "c2", "c3"],
      ],
    ],
    // One lane per kind, and one lane overall: every event in arrival order.
    ["kind", [["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"]]],
    ["global", [["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"]]],
  ])("keeps the arrival order within each %s lane and runs one item at a time per lane", async (strategy, lanes) => {
    const seen: string[] = [];
    let running = 0;
    let overlapWithinLane = false;
    const busyLanes = new Set<string>();
    const objects = { a: "n1", b: "n1", c: "n2" } as const;
    const laneFor = (payload: string) =>
      laneOf(strategy, { kind: "configmaps", namespace: objects[payload[0] as "a"], name: payload[0] ?? "" });
    const { q } = appendQueue(async (payload) => {
      const lane = laneFor(payload);
      if (busyLanes.has(lane)) overlapWithinLane = true;
      busyLanes.add(lane);
      running++;
      seen.push(payload);
      await settle();
      running--;
      busyLanes.delete(lane);
    });
    for (let i = 1; i <= 3; i++)
      for (const name of ["a", "b", "c"]) q.append(name, `${name}${i}`, laneFor(`${name}${i}`));
    await q.idle();
    expect(overlapWithinLane).toBe(false);
    expect(running).toBe(0);
    for (const lane of lanes) expect(seen.filter((payload) => lane.includes(payload))).toEqual(lane);
    expect(seen).toHaveLength(9);
  });

  it("does not retry a failed item and goes on with the next one of its lane", async () => {
    const seen: string[] = [];
    const { q, clock } = appendQueue((payload) => {
      seen.push(payload);
      if (payload === "x2") throw new Error("boom");
    });
    for (let i = 1; i <= 3; i++) q.append("x", `x${i}`, "lane");
    await q.idle();
    await clock.advance(60_000);
    await q.idle();
    expect(seen).toEqual(["x1", "x2", "x3"]);
    expect(q.size).toBe(0);
  });

  it("holds one item per object while paused (a standby) and runs it on resume", async () => {
    const seen: string[] = [];
    const { q } = appendQueue((payload) => void seen.push(payload), true);
    for (let i = 1; i <= 4; i++) {
      q.append("x", `x${i}`, "lane");
      q.append("y", `y${i}`, "lane");
    }
    expect(q.size).toBe(2);
    q.resume();
    await q.idle();
    expect(seen).toEqual(["x4", "y4"]);
    q.append("x", "x5", "lane");
    q.append("x", "x6", "lane");
    await q.idle();
    expect(seen).toEqual(["x4", "y4", "x5", "x6"]);
  });

  it("runs an item again after a requeueAfter, behind what its lane holds by then", async () => {
    const seen: string[] = [];
    let requeued = false;
    const { q, clock } = appendQueue((payload) => {
      seen.push(payload);
      if (payload === "x1" && !requeued) {
        requeued = true;
        return { requeueAfter: 1000 };
      }
      return undefined;
    });
    q.append("x", "x1", "lane");
    q.append("x", "x2", "lane");
    await q.idle();
    expect(seen).toEqual(["x1", "x2"]);
    await clock.advance(1000);
    await q.idle();
    expect(seen).toEqual(["x1", "x2", "x1"]);
  });
});

function harness(
  capability: Capability,
  delivery: ReconcileDelivery | undefined,
  strategy?: OrderingStrategy,
  logger: Logger = quiet,
) {
  const clock = new FakeClock();
  const sources = new Map<string, MemorySource>();
  const controller = new Controller({
    client: {} as ApiClient,
    capabilities: [capability],
    clock,
    logger,
    retry: new ExponentialBackoff({ initialMs: 1000, jitter: 0 }),
    ...(delivery ? { reconcileDelivery: delivery } : {}),
    ...(strategy ? { strategy } : {}),
    sources: (scope) => {
      const key = scopeKey(scope);
      let source = sources.get(key);
      if (!source) {
        source = new MemorySource(scope.kind);
        sources.set(key, source);
      }
      return source;
    },
  });
  controller.start();
  const source = () => {
    const [only] = sources.values();
    if (!only) throw new Error("no source");
    return only;
  };
  return { controller, clock, source };
}

describe("Reconcile delivering every event (Pepr's Reconcile)", () => {
  it("runs the callback for each of 12 quick changes, in order, with the object and phase each carried", async () => {
    const capability = new Capability({ name: "every", description: "" });
    const seen: [WatchPhase, number][] = [];
    const hold = gate();
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile(async (object, phase) => {
        seen.push([phase, Number(object.metadata?.generation)]);
        if (seen.length === 1) await hold.promise;
      });
    const { controller, source } = harness(capability, "every");
    controller.activate();
    await source().apply("ADDED", configMap("a", "x", 1));
    await settle();
    for (let generation = 2; generation <= 12; generation++)
      await source().apply("MODIFIED", configMap("a", "x", generation));
    hold.open();
    await controller.reconcileQueue.idle();
    expect(seen).toEqual([
      ["ADDED", 1],
      ...Array.from({ length: 11 }, (_, i) => ["MODIFIED", i + 2] as [WatchPhase, number]),
    ]);
  });

  it("coalesces the same changes when capstan's delivery is chosen", async () => {
    const capability = new Capability({ name: "coalesce", description: "" });
    const seen: number[] = [];
    const hold = gate();
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile(async (object) => {
        seen.push(Number(object.metadata?.generation));
        if (seen.length === 1) await hold.promise;
      });
    const { controller, source } = harness(capability, undefined);
    controller.activate();
    await source().apply("ADDED", configMap("a", "x", 1));
    await settle();
    for (let generation = 2; generation <= 12; generation++)
      await source().apply("MODIFIED", configMap("a", "x", generation));
    hold.open();
    await controller.reconcileQueue.idle();
    expect(seen).toEqual([1, 12]);
  });

  it("delivers a DELETED event with the deleted object, and keeps objects of one kind in order under `kind`", async () => {
    const capability = new Capability({ name: "kinds", description: "" });
    const seen: string[] = [];
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile((object, phase) => void seen.push(`${phase}:${object.metadata?.name}:${object.metadata?.generation}`));
    capability
      .When(ConfigMap)
      .IsDeleted()
      .Reconcile((object, phase) => void seen.push(`${phase}:${object.metadata?.name}:${object.metadata?.generation}`));
    const { controller, source } = harness(capability, "every", "kind");
    controller.activate();
    await source().apply("ADDED", configMap("a", "x", 1));
    await source().apply("ADDED", configMap("b", "y", 1));
    await source().apply("MODIFIED", configMap("a", "x", 2));
    await source().apply("DELETED", configMap("b", "y", 1));
    await controller.reconcileQueue.idle();
    expect(seen).toEqual(["ADDED:x:1", "ADDED:y:1", "MODIFIED:x:2", "DELETED:y:1"]);
  });

  it("logs a throwing callback as Pepr does and goes on without retrying", async () => {
    const capability = new Capability({ name: "throws", description: "" });
    const seen: number[] = [];
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile((object) => {
        const generation = Number(object.metadata?.generation);
        seen.push(generation);
        if (generation === 2) throw new Error("boom");
      });
    const lines: string[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => void lines.push(line) });
    const { controller, clock, source } = harness(capability, "every", undefined, logger);
    controller.activate();
    for (let generation = 1; generation <= 3; generation++)
      await source().apply(generation === 1 ? "ADDED" : "MODIFIED", configMap("a", "x", generation));
    await controller.reconcileQueue.idle();
    await clock.advance(120_000);
    await controller.reconcileQueue.idle();
    expect(seen).toEqual([1, 2, 3]);
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["Error executing watch callback"]);
  });
});

describe("Pepr's log lines in the controller", () => {
  it("logs 'Executing reconcile/watch action with alias' for aliased bindings, as Pepr's Alias docs show", async () => {
    const capability = new Capability({ name: "aliased", description: "" });
    capability
      .When(ConfigMap)
      .IsCreated()
      .Alias("red")
      .Reconcile(() => {});
    capability
      .When(ConfigMap)
      .IsCreated()
      .Alias("blue")
      .Watch(() => {});
    capability
      .When(ConfigMap)
      .IsCreated()
      .Reconcile(() => {});
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const { controller, source } = harness(capability, "every", undefined, logger);
    controller.activate();
    await source().apply("ADDED", configMap("a", "x", 1));
    await controller.reconcileQueue.idle();
    await controller.watchQueue.idle();
    const messages = lines.map((line) => JSON.parse(line).msg).filter((msg) => msg.startsWith("Executing"));
    expect(messages.sort()).toEqual([
      "Executing reconcile action with alias: red",
      "Executing watch action with alias: blue",
    ]);
  });
});

describe("the test kit delivers Reconcile as the runtime does", () => {
  function failingOnce(key: "pepr" | "capstan") {
    const capability = new Capability({ name: `kit-${key}`, description: "" });
    let calls = 0;
    capability
      .When(ConfigMap)
      .IsCreated()
      .Reconcile(() => {
        calls++;
        if (calls === 1) throw new Error("first call fails");
      });
    return new PeprModule({ [key]: { uuid: `kit-${key}`, onError: "reject" } }, [capability], { deferStart: true });
  }

  it("a Pepr module's failed Reconcile is not retried (every event); a capstan module's is (coalescing)", async () => {
    const outcomes: Record<string, string[]> = {};
    for (const key of ["pepr", "capstan"] as const) {
      const tester = controllerTester(failingOnce(key));
      await tester.apply(configMap("a", "x", 1));
      await tester.advance("5s");
      outcomes[key] = tester.calls.map((call) => call.outcome);
      await tester.stop();
    }
    expect(outcomes).toEqual({ pepr: ["error"], capstan: ["error", "ok"] });
  });
});

describe("Reconcile settings read by the runtime", () => {
  it("delivers every event to a Pepr module and coalesces for a capstan module unless told otherwise", () => {
    expect(reconcileSettings("pepr", {})).toEqual({ strategy: "kindNsName", reconcileDelivery: "every" });
    expect(reconcileSettings("capstan", {})).toEqual({ strategy: "kindNsName", reconcileDelivery: "coalesce" });
    expect(reconcileSettings("pepr", { CAPSTAN_RECONCILE_DELIVERY: "coalesce" }).reconcileDelivery).toBe("coalesce");
    expect(reconcileSettings("capstan", { CAPSTAN_RECONCILE_DELIVERY: "every" }).reconcileDelivery).toBe("every");
  });

  it("reads Pepr's strategy variable, lets capstan's win, and rejects unknown values with what to use", () => {
    expect(reconcileSettings("pepr", { PEPR_RECONCILE_STRATEGY: "global" }).strategy).toBe("global");
    expect(
      reconcileSettings("pepr", { CAPSTAN_RECONCILE_STRATEGY: "kind", PEPR_RECONCILE_STRATEGY: "global" }).strategy,
    ).toBe("kind");
    expect(() => reconcileSettings("pepr", { PEPR_RECONCILE_STRATEGY: "perObject" })).toThrow(
      'Invalid PEPR_RECONCILE_STRATEGY "perObject": use one of kind, kindNs, kindNsName, global',
    );
    expect(() => reconcileSettings("pepr", { CAPSTAN_RECONCILE_DELIVERY: "latest" })).toThrow(
      /use one of every, coalesce/,
    );
    expect(reconcileSettings("pepr", { CAPSTAN_RECONCILE_WORKERS: "3" }).workers).toBe(3);
    expect(() => reconcileSettings("pepr", { CAPSTAN_RECONCILE_WORKERS: "0" })).toThrow(/whole number above 0/);
  });
});
