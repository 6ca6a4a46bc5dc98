import { describe, expect, it } from "vitest";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { FINALIZER } from "../../../src/model/finalizer.ts";
import { controllerTester } from "../../../src/testing/index.ts";

const configMap = (name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "apps", labels },
  data,
});

describe("controller without a cluster", () => {
  it("retries a failing Reconcile with backoff on the fake clock and counts attempts in the Store", async () => {
    const capability = new Capability({ name: "flaky", description: "" });
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile(async (object) => {
        const attempts = Number(capability.Store.getItem("attempts") ?? 0) + 1;
        await capability.Store.setItemAndWait("attempts", String(attempts));
        if (attempts <= 2) throw new Error(`${object.metadata?.name} not ready (attempt ${attempts})`);
      });
    const tester = controllerTester(capability, { retry: { initialMs: 1000 } });
    await tester.apply(configMap("a"));
    expect(tester.calls.map((call) => [call.outcome, call.atMs])).toEqual([["error", 0]]);
    await tester.advance(999);
    expect(tester.calls).toHaveLength(1);
    await tester.advance(1);
    await tester.advance("2s");
    expect(tester.callsOf("flaky/").map((call) => [call.outcome, call.atMs, call.error])).toEqual([
      ["error", 0, "a not ready (attempt 1)"],
      ["error", 1000, "a not ready (attempt 2)"],
      ["ok", 3000, undefined],
    ]);
    expect(tester.store.snapshot("flaky")).toEqual({ attempts: "3" });
    await tester.advance("10m");
    expect(tester.calls).toHaveLength(3);
    await tester.stop();
  });

  it("gives each tester a fresh Store for the same capability", async () => {
    const capability = new Capability({ name: "counter", description: "" });
    capability
      .When(ConfigMap)
      .IsCreated()
      .Watch(() => capability.Store.setItem("seen", String(Number(capability.Store.getItem("seen") ?? 0) + 1)));
    for (let round = 0; round < 2; round++) {
      const tester = controllerTester(capability);
      await tester.apply(configMap("x"));
      expect(capability.Store.getItem("seen")).toBe("1");
      await tester.stop();
    }
  });

  it("delivers Watch phases in order, and applies scope filters the way an informer would", async () => {
    const capability = new Capability({ name: "watcher", description: "" });
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .WithLabel("watched")
      .Watch(() => {});
    capability
      .When(ConfigMap)
      .IsDeleted()
      .Watch(() => {});
    const tester = controllerTester(capability, { objects: [configMap("before", {}, { watched: "yes" })] });
    await tester.settle();
    await tester.apply(configMap("a", { k: "1" }, { watched: "yes" }));
    await tester.apply(configMap("a", { k: "2" }, { watched: "yes" }));
    await tester.apply(configMap("plain"));
    await tester.delete(configMap("a"));
    expect(tester.calls.map((call) => `${call.binding} ${call.phase} ${call.object}`)).toEqual([
      "watcher/0-watch-configmap ADDED apps/before",
      "watcher/0-watch-configmap ADDED apps/a",
      "watcher/0-watch-configmap MODIFIED apps/a",
      "watcher/1-watch-configmap DELETED apps/a",
    ]);
    expect(tester.cluster.get(configMap("a"))).toBeUndefined();
    await tester.stop();
  });

  it("runs Finalize when an object with the module's finalizer is deleted, then removes the finalizer", async () => {
    const capability = new Capability({ name: "cleanup", description: "" });
    let keep = true;
    capability
      .When(ConfigMap)
      .IsCreatedOrUpdated()
      .Watch(() => {})
      .Finalize(() => !keep);
    const tester = controllerTester(capability, { admission: true });
    const stored = await tester.apply(configMap("db"));
    expect(stored.metadata?.finalizers).toEqual([FINALIZER]);
    await tester.delete(configMap("db"));
    expect(tester.callsOf("finalize").map((call) => call.outcome)).toEqual(["kept"]);
    expect(tester.cluster.get(configMap("db"))?.metadata?.deletionTimestamp).toBeDefined();
    keep = false;
    await tester.apply({
      ...configMap("db"),
      metadata: { ...configMap("db").metadata, finalizers: [FINALIZER], annotations: { retry: "1" } },
    });
    expect(tester.callsOf("finalize").map((call) => call.outcome)).toEqual(["kept", "ok"]);
    expect(tester.cluster.get(configMap("db"))).toBeUndefined();
    await tester.stop();
  });
});

describe("schedules without a cluster", () => {
  it("runs OnSchedule jobs on the fake clock as the leader, recording each run", async () => {
    const capability = new Capability({ name: "cron", description: "" });
    let runs = 0;
    capability.OnSchedule({
      name: "tick",
      every: 1,
      unit: "minute",
      run: () => {
        runs++;
        if (runs === 2) throw new Error("second run fails");
      },
    });
    const tester = controllerTester(capability);
    await tester.settle();
    expect(tester.callsOf("cron/schedule tick")).toEqual([]);
    await tester.advance("3m");
    expect(tester.calls.map((call) => [call.binding, call.atMs, call.outcome])).toEqual([
      ["cron/schedule tick", 60_000, "ok"],
      ["cron/schedule tick", 120_000, "error"],
      ["cron/schedule tick", 180_000, "ok"],
    ]);
    await tester.stop();
  });
});

describe("the in-memory cluster", () => {
  it("deletes an object being deleted once an update removes its last finalizer", async () => {
    const capability = new Capability({ name: "gone", description: "" });
    capability
      .When(ConfigMap)
      .IsDeleted()
      .Watch(() => {});
    const tester = controllerTester(capability);
    const withFinalizer = {
      ...configMap("x"),
      metadata: { ...configMap("x").metadata, finalizers: ["example.com/hold"] },
    };
    await tester.apply(withFinalizer);
    await tester.delete(withFinalizer);
    expect(tester.cluster.get(withFinalizer)?.metadata?.deletionTimestamp).toBeDefined();
    expect(tester.calls).toEqual([]);
    await tester.apply(configMap("x"));
    expect(tester.cluster.get(withFinalizer)).toBeUndefined();
    expect(tester.calls.map((call) => call.phase)).toEqual(["DELETED"]);
    await tester.stop();
  });
});
