import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Controller } from "../../../src/controller/dispatch/controller.ts";
import type { OrderingStrategy, ReconcileDelivery } from "../../../src/controller/ordering.ts";
import { stopInformers } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { GenericKind } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { WatchPhase } from "../../../src/model/events.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { ensureWidgetCrd, runController, sleep, widget, widgetPath } from "./support.ts";

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

interface Call {
  readonly name: string;
  readonly phase: WatchPhase;
  readonly value: number;
  readonly resourceVersion: number;
}

/** Server-side applies `spec.value` to a Widget (creating it on the first apply), as `kubectl apply` would. */
function apply(namespace: string, name: string, value: number) {
  return client.request<KubernetesObject>({
    method: "PATCH",
    path: widgetPath(namespace, name),
    query: { fieldManager: "every-event-test", force: true },
    contentType: "application/apply-patch+yaml",
    body: { apiVersion: `${widget.group}/v1`, kind: widget.kind, metadata: { name, namespace }, spec: { value } },
  });
}

/**
 * A controller whose Reconcile records every call and holds the first one for a while, so the
 * applies pile up behind it, as they do behind a busy reconciler.
 */
async function recordingController(namespace: string, delivery: ReconcileDelivery, strategy: OrderingStrategy) {
  const calls: Call[] = [];
  const capability = new Capability({ name: `every-${strategy.toLowerCase()}`, description: "" });
  capability
    .When(GenericKind, widget)
    .IsCreatedOrUpdated()
    .InNamespace(namespace)
    .Reconcile(async (object, phase) => {
      calls.push({
        name: object.metadata?.name ?? "",
        phase,
        value: Number((object as { spec?: { value?: number } }).spec?.value),
        resourceVersion: Number(object.metadata?.resourceVersion),
      });
      if (calls.length === 1) await sleep(1500);
    });
  controllers.push(await runController(client, capability, { reconcileDelivery: delivery, strategy }));
  return calls;
}

async function settleOn(calls: readonly Call[], count: number): Promise<void> {
  await eventually(async () => (calls.length >= count ? true : undefined), {
    what: `${count} reconcile calls (have ${calls.length})`,
  });
  // Nothing more may arrive: wait a little past the last call.
  await sleep(1000);
}

const sequence = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("Reconcile in Pepr mode: every event, in order, per strategy", () => {
  it.each<OrderingStrategy>(["kindNsName", "kindNs", "kind", "global"])(
    "%s: twelve quick applies of one object give twelve calls, in order, each with the object it carried",
    async (strategy) => {
      const ns = await freshNamespace(client, `every-${strategy.toLowerCase()}`);
      namespaces.push(ns);
      const calls = await recordingController(ns, "every", strategy);
      for (let value = 1; value <= 12; value++) await apply(ns, "one", value);
      await settleOn(calls, 12);
      expect(calls.map((call) => call.value)).toEqual(sequence(1, 12));
      expect(calls.map((call) => call.phase)).toEqual(["ADDED", ...Array<WatchPhase>(11).fill("MODIFIED")]);
      const versions = calls.map((call) => call.resourceVersion);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    },
    60_000,
  );

  it.each<OrderingStrategy>(["kindNs", "kind", "global"])(
    "%s: two objects applied in turn share one lane, so their calls follow the API server's order",
    async (strategy) => {
      const ns = await freshNamespace(client, `lane-${strategy.toLowerCase()}`);
      namespaces.push(ns);
      const calls = await recordingController(ns, "every", strategy);
      for (let value = 1; value <= 6; value++) {
        await apply(ns, "left", value);
        await apply(ns, "right", value);
      }
      await settleOn(calls, 12);
      expect(calls.map((call) => `${call.name}:${call.value}`)).toEqual(
        sequence(1, 6).flatMap((value) => [`left:${value}`, `right:${value}`]),
      );
    },
    60_000,
  );

  it("kindNsName: two objects run in separate lanes, each in its own order", async () => {
    const ns = await freshNamespace(client, "lane-kindnsname");
    namespaces.push(ns);
    const calls = await recordingController(ns, "every", "kindNsName");
    for (let value = 1; value <= 6; value++) {
      await apply(ns, "left", value);
      await apply(ns, "right", value);
    }
    await settleOn(calls, 12);
    for (const name of ["left", "right"])
      expect(calls.filter((call) => call.name === name).map((call) => call.value)).toEqual(sequence(1, 6));
    // The held first call of one object did not hold the other object back.
    const first = calls[0]?.name;
    const other = calls.findIndex((call) => call.name !== first);
    expect(other).toBeLessThan(6);
  }, 60_000);

  it("coalesces the same twelve applies when coalescing is chosen", async () => {
    const ns = await freshNamespace(client, "every-coalesce");
    namespaces.push(ns);
    const calls = await recordingController(ns, "coalesce", "kindNsName");
    for (let value = 1; value <= 12; value++) await apply(ns, "one", value);
    await eventually(async () => (calls.at(-1)?.value === 12 ? true : undefined), {
      what: "a reconcile of the latest apply",
    });
    await sleep(1000);
    expect(calls.length).toBeLessThan(12);
    expect(calls[0]?.value).toBe(1);
    expect(calls.at(-1)?.value).toBe(12);
  }, 60_000);
});
