import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/dispatch/controller.ts";
import { MemorySource } from "../../../src/controller/dispatch/memory-source.ts";
import { scopeOf } from "../../../src/controller/dispatch/scope.ts";
import { ExponentialBackoff } from "../../../src/controller/retry-policy.ts";
import { scopeKey } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { WatchPhase } from "../../../src/model/events.ts";
import { Log } from "../../../src/telemetry/logger.ts";
import { controllerTester } from "../../../src/testing/index.ts";
import { FakeClock, settle } from "../../../src/time/fake-clock.ts";

const quiet = Log.child({}, { level: "silent" });

function configMap(
  namespace: string,
  name: string,
  generation = 1,
  labels: Record<string, string> = {},
): KubernetesObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name, generation, labels } };
}

/**
 * A bare controller over in-memory sources, for what the test kit hides on purpose: standby
 * replicas, source sharing and queue internals. Module behaviour is tested with `controllerTester`.
 */
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
    capability
      .When(ConfigMap)
      .IsCreated()
      .InNamespaceRegex(/^team-/)
      .WithNameRegex(/^app-/)
      .Reconcile(() => {});
    const tester = controllerTester(capability, { config: { alwaysIgnore: { namespaces: ["team-ignored"] } } });
    for (const [namespace, name] of [
      ["team-a", "app-1"],
      ["team-a", "other"],
      ["prod", "app-2"],
      ["team-ignored", "app-3"],
    ] as const) {
      await tester.apply(configMap(namespace, name));
    }
    await tester.apply({ ...configMap("team-a", "app-1"), data: { changed: "yes" } });
    expect(tester.calls.map((call) => `${call.phase}:${call.object}`)).toEqual(["ADDED:team-a/app-1"]);
    await tester.stop();
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
    let runs = 0;
    capability
      .When(ConfigMap)
      .IsCreated()
      .Reconcile((object) => {
        runs++;
        if (runs <= 3) throw new Error(`not ready: ${object.metadata?.name}`);
        return runs === 4 ? { requeueAfter: 30_000 } : undefined;
      });
    const tester = controllerTester(capability, { retry: { initialMs: 1000, jitter: 0 } });
    await tester.apply(configMap("a", "x"));
    await tester.advance("40s");
    expect(tester.calls.map((call) => [call.atMs, call.outcome])).toEqual([
      [0, "error"],
      [1000, "error"],
      [3000, "error"],
      [7000, "ok"],
      [37_000, "ok"],
    ]);
    await tester.stop();
  });
});

describe("Watch dispatch", () => {
  it("delivers every change of an object in order, and a throwing callback does not stop later ones", async () => {
    const capability = new Capability({ name: "watch", description: "" });
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace("a")
      .Watch((object) => {
        if (object.metadata?.generation === 2) throw new Error("bad generation");
      });
    const tester = controllerTester(capability);
    for (const version of ["1", "2", "3"]) await tester.apply({ ...configMap("a", "x"), data: { version } });
    await tester.delete(configMap("a", "x"));
    expect(tester.calls.map((call) => [call.phase, call.outcome])).toEqual([
      ["ADDED", "ok"],
      ["MODIFIED", "error"],
      ["MODIFIED", "ok"],
    ]);
    await tester.stop();
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
