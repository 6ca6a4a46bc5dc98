import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Controller } from "../../../src/controller/dispatch/controller.ts";
import { ExponentialBackoff } from "../../../src/controller/retry-policy.ts";
import { stopInformers } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { GenericKind } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { registry } from "../../../src/telemetry/metrics.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { createWidget, ensureWidgetCrd, runController, sleep, widget, widgetPath } from "./support.ts";

let client: ApiClient;
const namespaces: string[] = [];
const controllers: Controller[] = [];

beforeAll(async () => {
  client = await adminClient();
  await ensureWidgetCrd(client);
});
afterAll(async () => {
  await Promise.all(controllers.map((controller) => controller.stop()));
  await stopInformers(client);
  for (const namespace of namespaces)
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` });
  await client.close();
});

async function namespace(prefix: string): Promise<string> {
  const name = await freshNamespace(client, prefix);
  namespaces.push(name);
  return name;
}

async function retriesCounted(): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "capstan_workqueue_retries_total");
  return (metric?.values ?? []).filter((v) => v.labels.queue === "reconcile").reduce((sum, v) => sum + v.value, 0);
}

const generationOf = (object: KubernetesObject) => Number(object.metadata?.generation);

describe("Reconcile coalescing", () => {
  it("turns 100 rapid updates of a busy custom resource into a handful of calls, the last with the latest generation", async () => {
    const ns = await namespace("coalesce");
    const capability = new Capability({ name: "coalesce", description: "" });
    const calls: { name: string; generation: number; start: number; end: number }[] = [];
    // The first reconcile of "busy" holds until the test lets it go, whatever the machine's speed.
    let releaseFirst = () => {};
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    capability
      .When(GenericKind, widget)
      .IsCreatedOrUpdated()
      .InNamespace(ns)
      .Reconcile(async (object) => {
        const call = { name: object.metadata?.name ?? "", generation: generationOf(object), start: Date.now(), end: 0 };
        calls.push(call);
        if (call.name === "busy") await (call.generation === 1 ? firstHeld : sleep(200));
        call.end = Date.now();
      });
    controllers.push(await runController(client, capability));

    await createWidget(client, ns, "busy");
    await eventually(async () => calls.find((c) => c.name === "busy"), { what: "the first reconcile to start" });
    let latest = 1;
    for (let value = 1; value <= 100; value++) {
      const updated = await client.request<KubernetesObject>({
        method: "PATCH",
        path: widgetPath(ns, "busy"),
        contentType: "application/merge-patch+json",
        body: { spec: { value } },
      });
      latest = generationOf(updated);
    }
    const createdUnrelatedAt = Date.now();
    await createWidget(client, ns, "unrelated");
    const unrelated = await eventually(async () => calls.find((c) => c.name === "unrelated"), {
      what: "the unrelated reconcile",
    });
    const first = calls.find((c) => c.name === "busy");
    expect(first?.end, "the unrelated object ran while the busy one was still in its first call").toBe(0);
    expect(unrelated.start - createdUnrelatedAt, "event delivery plus queueing, on a loaded machine").toBeLessThan(
      3000,
    );
    releaseFirst();

    await eventually(
      async () => (calls.some((c) => c.name === "busy" && c.generation === latest && c.end) ? true : undefined),
      {
        what: `a reconcile of generation ${latest}`,
      },
    );
    await sleep(1000);
    const busy = calls.filter((c) => c.name === "busy");
    console.log(
      `[coalescing] 100 updates (generation 1 → ${latest}) gave ${busy.length} calls: generations ${busy.map((c) => c.generation).join(", ")}`,
    );
    expect(latest).toBe(101);
    expect(busy.length).toBeLessThanOrEqual(5);
    expect(busy.at(-1)?.generation).toBe(latest);
    for (let i = 1; i < busy.length; i++)
      expect(busy[i]?.start).toBeGreaterThanOrEqual(busy[i - 1]?.end ?? Number.POSITIVE_INFINITY);
  });
});

describe("Reconcile backoff", () => {
  it("brings 500 objects to Ready when 10 % fail three times, with exponentially spaced retries counted in metrics", async () => {
    const ns = await namespace("backoff");
    const capability = new Capability({ name: "backoff", description: "" });
    const attempts = new Map<string, number[]>();
    const flaky = (name: string) => Number(name.slice(2)) % 10 === 0;
    capability
      .When(GenericKind, widget)
      .IsCreatedOrUpdated()
      .InNamespace(ns)
      .Reconcile(async (object) => {
        const name = object.metadata?.name ?? "";
        if ((object as { status?: { phase?: string } }).status?.phase === "Ready") return;
        const times = attempts.get(name) ?? [];
        times.push(Date.now());
        attempts.set(name, times);
        if (flaky(name) && times.length <= 3)
          throw new Error(`${name}: dependency not ready (attempt ${times.length})`);
        await client.request({
          method: "PATCH",
          path: widgetPath(ns, name, "status"),
          contentType: "application/merge-patch+json",
          body: { status: { phase: "Ready" } },
        });
      });
    const retriesBefore = await retriesCounted();
    const initialMs = 1000;
    controllers.push(
      await runController(client, capability, {
        retry: new ExponentialBackoff({ initialMs, multiplier: 2, jitter: 0.2 }),
      }),
    );
    const names = Array.from({ length: 500 }, (_, i) => `w-${String(i).padStart(3, "0")}`);
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(names.slice(i, i + 25).map((name) => createWidget(client, ns, name)));
    }
    await eventually(
      async () => {
        const list = await client.request<{ items: { status?: { phase?: string } }[] }>({ path: widgetPath(ns) });
        const ready = list.items.filter((item) => item.status?.phase === "Ready").length;
        return ready === names.length ? ready : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: "all 500 widgets Ready" },
    );

    const flakyNames = names.filter(flaky);
    expect(flakyNames).toHaveLength(50);
    const gaps = flakyNames.map((name) => {
      const times = attempts.get(name) ?? [];
      expect(times, `${name} ran three failing attempts and one that succeeded`).toHaveLength(4);
      return times.slice(1).map((t, i) => t - (times[i] ?? 0));
    });
    for (const [first, second, third] of gaps) {
      expect(first).toBeGreaterThanOrEqual(initialMs * 0.8);
      expect(second).toBeGreaterThanOrEqual(initialMs * 2 * 0.8);
      expect(third).toBeGreaterThanOrEqual(initialMs * 4 * 0.8);
    }
    // A gap is the backoff delay plus however long the retry then waited behind other ready items,
    // which grows with load; the shortest gap of each attempt is the closest to the bare delay.
    const sorted = [0, 1, 2].map((i) => gaps.map((g) => g[i] ?? 0).sort((x, y) => x - y));
    const shortest = sorted.map((values) => values[0] ?? 0);
    const medians = sorted.map((values) => values[Math.floor(values.length / 2)] ?? 0);
    console.log(
      `[backoff] retry gaps (ms), shortest: ${shortest.join(", ")}; median: ${medians.join(", ")}; retries counted: ${(await retriesCounted()) - retriesBefore}`,
    );
    expect((shortest[1] ?? 0) / (shortest[0] ?? 1)).toBeGreaterThan(1.5);
    expect((shortest[2] ?? 0) / (shortest[1] ?? 1)).toBeGreaterThan(1.5);
    expect((await retriesCounted()) - retriesBefore).toBe(150);
    for (const name of names.filter((n) => !flaky(n))) expect(attempts.get(name)).toHaveLength(1);
  });
});
