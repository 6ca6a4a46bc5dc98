import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/dispatch/controller.ts";
import { MemorySource } from "../../../src/controller/dispatch/memory-source.ts";
import { scopeOf } from "../../../src/controller/dispatch/scope.ts";
import { FakeClock, settle } from "../../../src/controller/fake-clock.ts";
import { ExponentialBackoff } from "../../../src/controller/retry-policy.ts";
import { scopeKey } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { WatchPhase } from "../../../src/model/events.ts";
import { Log } from "../../../src/telemetry/logger.ts";

const quiet = Log.child({}, { level: "silent" });

function configMap(
  namespace: string,
  name: string,
  generation = 1,
  labels: Record<string, string> = {},
): KubernetesObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name, generation, labels } };
}

/** A controller over in-memory sources (one per scope) driven by a fake clock. */
function harness(capability: Capability, options: { ignoredNamespaces?: string[] } = {}) {
  const clock = new FakeClock();
  const sources = new Map<string, MemorySource>();
  const controller = new Controller({
    // No binding in these tests writes to the API server (Finalize is covered by integration tests).
    client: {} as ApiClient,
    capabilities: [capability],
    clock,
    logger: quiet,
    retry: new ExponentialBackoff({ initialMs: 1000, jitter: 0 }),
    ignoredNamespaces: options.ignoredNamespaces ?? [],
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
  const only = () => {
    const [source] = sources.values();
    if (!source || sources.size !== 1) throw new Error(`expected one source, got ${sources.size}`);
    return source;
  };
  return { controller, clock, sources, only };
}

describe("Reconcile dispatch", () => {
  it("coalesces 100 updates of a busy object into a few calls, the last with the latest generation", async () => {
    const capability = new Capability({ name: "coalesce", description: "" });
    const seen: number[] = [];
    let release = () => {};
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile(async (object) => {
        seen.push(Number(object.metadata?.generation));
        if (seen.length === 1) await new Promise<void>((resolve) => (release = resolve));
      });
    const { controller, only } = harness(capability);
    controller.activate();
    await only().apply("ADDED", configMap("a", "x", 1));
    await settle();
    for (let generation = 2; generation <= 101; generation++)
      await only().apply("MODIFIED", configMap("a", "x", generation));
    release();
    await controller.reconcileQueue.idle();
    await settle();
    expect(seen).toEqual([1, 101]);
  });

  it("applies namespace, name-regex and label filters, and never delivers ignored namespaces", async () => {
    const capability = new Capability({ name: "filters", description: "" });
    const seen: string[] = [];
    capability
      .When(ConfigMap)
      .IsCreated()
      .InNamespaceRegex(/^team-/)
      .WithNameRegex(/^app-/)
      .Reconcile((object) => void seen.push(`${object.metadata?.namespace}/${object.metadata?.name}`));
    const { controller, only } = harness(capability, { ignoredNamespaces: ["team-ignored"] });
    controller.activate();
    for (const [namespace, name] of [
      ["team-a", "app-1"],
      ["team-a", "other"],
      ["prod", "app-2"],
      ["team-ignored", "app-3"],
    ] as const) {
      await only().apply("ADDED", configMap(namespace, name));
    }
    await only().apply("MODIFIED", configMap("team-a", "app-1", 2));
    await controller.reconcileQueue.idle();
    expect(seen).toEqual(["team-a/app-1"]);
  });

  it("reads the object from the cache when it runs, and delivers DELETED with the last state", async () => {
    const capability = new Capability({ name: "level", description: "" });
    const seen: [WatchPhase, number][] = [];
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile((object, phase) => void seen.push([phase, Number(object.metadata?.generation)]));
    const deleted = new Capability({ name: "deleted", description: "" });
    const gone: string[] = [];
    deleted
      .When(ConfigMap)
      .IsDeleted()
      .Reconcile((object) => void gone.push(object.metadata?.name ?? ""));
    const { controller, sources } = harness(capability);
    const source = [...sources.values()][0];
    if (!source) throw new Error("no source");
    await source.apply("ADDED", configMap("a", "x", 1));
    await source.apply("MODIFIED", configMap("a", "x", 2));
    // Not leading yet: nothing runs, but the change is kept.
    await settle();
    expect(seen).toEqual([]);
    controller.activate();
    await controller.reconcileQueue.idle();
    expect(seen).toEqual([["MODIFIED", 2]]);

    const other = harness(deleted);
    other.controller.activate();
    await other.only().apply("ADDED", configMap("a", "y"));
    await other.only().apply("DELETED", configMap("a", "y", 3));
    await other.controller.reconcileQueue.idle();
    expect(gone).toEqual(["y"]);
  });

  it("retries a throwing reconciler with exponential backoff and honours requeueAfter", async () => {
    const capability = new Capability({ name: "retry", description: "" });
    const times: number[] = [];
    let failures = 0;
    capability
      .When(ConfigMap)
      .IsCreated()
      .Reconcile(((object: KubernetesObject) => {
        times.push(clock.now());
        if (failures++ < 3) throw new Error(`not ready: ${object.metadata?.name}`);
        return times.length === 4 ? { requeueAfter: 30_000 } : undefined;
      }) as () => void);
    const { controller, only, clock } = harness(capability);
    controller.activate();
    const start = clock.now();
    await only().apply("ADDED", configMap("a", "x"));
    await clock.runAll();
    expect(times.map((t) => t - start)).toEqual([0, 1000, 3000, 7000, 37_000]);
  });
});

describe("Watch dispatch", () => {
  it("delivers every change of an object in order, and a throwing callback does not stop later ones", async () => {
    const capability = new Capability({ name: "watch", description: "" });
    const seen: string[] = [];
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace("a")
      .Watch((object, phase) => {
        seen.push(`${phase}:${object.metadata?.generation}`);
        if (object.metadata?.generation === 2) throw new Error("bad generation");
      });
    const { controller, only } = harness(capability);
    controller.activate();
    await only().apply("ADDED", configMap("a", "x", 1));
    await only().apply("MODIFIED", configMap("a", "x", 2));
    await only().apply("MODIFIED", configMap("a", "x", 3));
    await only().apply("DELETED", configMap("a", "x", 3));
    await controller.watchQueue.idle();
    await settle();
    expect(seen).toEqual(["ADDED:1", "MODIFIED:2", "MODIFIED:3"]);
  });

  it("shares one source per scope and keeps a standby's backlog to the latest change per object", async () => {
    const capability = new Capability({ name: "share", description: "" });
    const seen: string[] = [];
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Watch((object, phase) => void seen.push(`w:${phase}:${object.metadata?.generation}`));
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile((object) => void seen.push(`r:${object.metadata?.generation}`));
    capability
      .When(ConfigMap)
      .IsCreated()
      .WithLabel("tier", "web")
      .Watch(() => void seen.push("labelled"));
    const { controller, sources } = harness(capability);
    expect(sources.size).toBe(2);
    const all = [...sources.values()][0];
    if (!all) throw new Error("no source");
    await all.apply("ADDED", configMap("a", "x", 1));
    await all.apply("MODIFIED", configMap("a", "x", 2));
    controller.activate();
    await Promise.all([controller.watchQueue.idle(), controller.reconcileQueue.idle()]);
    expect(seen.sort()).toEqual(["r:2", "w:MODIFIED:2"]);
  });
});

describe("informer scopes", () => {
  it("sends labels, exact name and a single namespace to the API server", () => {
    const capability = new Capability({ name: "scope", description: "", namespaces: ["only"] });
    capability
      .When(ConfigMap)
      .IsCreated()
      .WithName("cm")
      .WithLabel("b", "2")
      .WithLabel("a")
      .Watch(() => {});
    const [binding] = capability.bindings;
    if (!binding) throw new Error("no binding");
    const scope = scopeOf(binding, capability.namespaces);
    expect(scope).toMatchObject({ namespace: "only", labelSelector: "a,b=2", fieldSelector: "metadata.name=cm" });
    expect(scopeOf(binding, ["x", "y"]).namespace).toBeUndefined();
  });
});
