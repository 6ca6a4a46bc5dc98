import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K8s, setDefaultClient } from "../../../src/fluent/index.ts";
import { sharedInformer } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { churnPlans, type Delivered, deliveryViolations, objectKeyOf } from "./churn.ts";
import { configMapKind, sleep } from "./helpers.ts";
import { PrivatePlane } from "./private-plane.ts";
import { runStallScenario, stallEventLoop } from "./stall-scenario.ts";

// Event-loop stalls as a fault class, on a control plane of this file's own (the writer runs in a
// separate process and the proxy resets connections, so other tests must not share its server).
let plane: PrivatePlane;

beforeAll(async () => {
  plane = await PrivatePlane.start();
}, 180_000);

afterAll(async () => {
  await plane?.stop();
});

const idleTimeoutMs = 2_000;

describe("informer under event-loop stalls (private control plane)", () => {
  it("delivers every final state and delete within 10 s of stalls of 0.5 s, 3 s and 2x the idle timeout plus resets; /readyz 503 while silent, 200 after", async () => {
    const report = await runStallScenario(plane, {
      objects: 300,
      namespaces: 4,
      writeDurationMs: 30_000,
      resetEveryMs: 3_000,
      idleTimeoutMs,
      steps: [
        { atMs: 3_000, kind: "busy", ms: 500 },
        { atMs: 6_000, kind: "black-hole", ms: 2.5 * idleTimeoutMs },
        { atMs: 14_000, kind: "child", ms: 3_000 },
        { atMs: 20_000, kind: "busy", ms: 2 * idleTimeoutMs },
        { atMs: 26_000, kind: "child", ms: 500 },
        { atMs: 28_000, kind: "busy", ms: 3_000 },
      ],
      log: (line) => console.log(line),
    });
    expect(report.violations).toEqual([]);
    expect(report.numbers.loopStalls).toBe(5);
    expect(report.numbers.convergeAfterLastDisturbanceMs).toBeLessThanOrEqual(10_000);
    expect(report.numbers.readyz503AfterMs).toBeGreaterThan(0);
    expect(report.numbers.readyz200AfterMs).toBeGreaterThanOrEqual(0);
    expect(report.numbers.connectionResets).toBeGreaterThanOrEqual(5);
    expect(report.numbers.cachedObjects).toBe(report.numbers.listedObjects);
    // The watchdog saw the loop stalls as such, not as watch silence.
    expect(report.numbers.watchdogSawLoopBlockedMs).toBeGreaterThanOrEqual(0.8 * (report.numbers.loopStalledMs ?? 0));
  }, 300_000);
});

/** Runs the churn writer in its own process over `namespaces` and resolves with its exit code. */
function churn(namespaces: string[], objects: number, durationMs: number, label: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, "churn-writer.ts"),
      plane.state.kubeconfig,
      JSON.stringify({ namespaces, objects, durationMs, label }),
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
}

describe("Watch callbacks that are slow (private control plane)", () => {
  let client: ApiClient;

  beforeAll(async () => {
    client = await plane.client();
    setDefaultClient(client);
  });

  afterAll(async () => {
    setDefaultClient(undefined);
    await client.close();
  });

  it("delivers everything to a callback that blocks the event loop for seconds and to one that is slow but async, with no false stall", async () => {
    const blocking = `blocking-cb-${Date.now()}`;
    const slow = `slow-cb-${Date.now()}`;
    for (const name of [blocking, slow])
      await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name } } });
    const delivered = { [blocking]: new Map<string, Delivered[]>(), [slow]: new Map<string, Delivered[]>() };
    const record = (ns: string, cm: KubernetesObject, phase: string) => {
      if (cm.metadata?.name === "kube-root-ca.crt") return;
      const map = delivered[ns] as Map<string, Delivered[]>;
      const list = map.get(objectKeyOf(cm)) ?? [];
      list.push({ type: phase, v: Number((cm as { data?: { v?: string } }).data?.v ?? -1) });
      map.set(objectKeyOf(cm), list);
    };
    let calls = 0;
    let blockedMs = 0;
    const blockingWatch = K8s(ConfigMap)
      .InNamespace(blocking)
      .Watch((cm, phase) => {
        record(blocking, cm, phase);
        if (++calls % 20 === 0) {
          const from = Date.now();
          stallEventLoop("busy", 2_000);
          blockedMs += Date.now() - from;
        }
      });
    const slowWatch = K8s(ConfigMap)
      .InNamespace(slow)
      .Watch(async (cm, phase) => {
        await sleep(100);
        record(slow, cm, phase);
      });
    await blockingWatch.start();
    await slowWatch.start();
    try {
      const objects = 80;
      const exit = await churn([blocking, slow], objects, 10_000, "capstan.dev/slow-callbacks=yes");
      expect(exit).toBe(0);
      const plans = churnPlans(objects, [blocking, slow]);
      // Nothing cuts these watches off, so an object never seen is one still waiting for delivery.
      const missing = () =>
        [blocking, slow].flatMap((ns) => {
          const result = deliveryViolations(
            plans.filter((p) => p.namespace === ns),
            delivered[ns] as Map<string, Delivered[]>,
          );
          return result.neverSeen > 0
            ? [...result.missingFinal, `${result.neverSeen} never seen`]
            : result.missingFinal;
        });
      const writesDone = Date.now();
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && missing().length > 0; ) await sleep(100);
      console.log(
        `[slow-callbacks] all final states ${Date.now() - writesDone} ms after the last write; the blocking callback held the loop ${blockedMs} ms in total`,
      );
      for (const ns of [blocking, slow]) {
        const result = deliveryViolations(
          plans.filter((p) => p.namespace === ns),
          delivered[ns] as Map<string, Delivered[]>,
        );
        expect(result.violations).toEqual([]);
        expect(result.neverSeen).toBe(0);
        const informer = sharedInformer(client, { kind: configMapKind, namespace: ns });
        expect(informer.subscriberCount).toBe(1);
        const health = informer.health();
        expect(health.stalls).toBe(0);
        expect(health.stalled).toBeUndefined();
      }
      expect(blockedMs).toBeGreaterThanOrEqual(10_000);
    } finally {
      blockingWatch.close();
      slowWatch.close();
    }
  }, 180_000);
});
