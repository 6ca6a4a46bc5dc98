import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import type { ScheduleDefinition } from "../../../src/model/schedule.ts";
import { parseState, peprRecordOf, peprScheduleConverter } from "../../../src/schedule/state.ts";
import { attachCapabilityStores, type CapabilityViews } from "../../../src/store/attach.ts";
import { ClusterStore } from "../../../src/store/cluster-store.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { exportToPepr, installPeprStoreCrd } from "../../../src/store/pepr-export.ts";
import { peprImportStep } from "../../../src/store/pepr-import.ts";
import { type PeprStoreObject, peprStoreKind, readPeprData } from "../../../src/store/pepr-layout.ts";
import type { Store } from "../../../src/store/store.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";

const UUID = "hello-pepr";
const STORE = `pepr-${UUID}-store`;
const SCHEDULE = `pepr-${UUID}-schedule`;
const KEYS = 1000;
const sweep: ScheduleDefinition = { name: "sweep", every: 5, unit: "minutes", completions: 10, run: () => {} };

let client: ApiClient;
let namespace: string;
const clients: ApiClient[] = [];

/** Keys with characters JSON pointers escape, as a Pepr module might use them. */
const special = ["https://example.com/a~b", "a/b", "~0", "plain"];

/** A Pepr-style capability: a name, the Store and ScheduleStore slots the runtime attaches to. */
function capability(name: string, schedules: ScheduleDefinition[] = []) {
  const slots = { store: undefined as Store | undefined };
  return {
    name,
    schedules,
    slots,
    Store: { attach: (store: Store) => (slots.store = store) },
    ScheduleStore: { attach: () => {} },
  };
}

/** Sends a JSON patch to a PeprStore the way Pepr 1.1.4's StoreController does: escaped keys, the cacheID label replaced. */
async function peprPatch(name: string, ops: { op: "add" | "remove"; key: string; value?: string }[]) {
  await client.request({
    method: "PATCH",
    path: `/apis/${peprStoreKind.apiVersion}/namespaces/${namespace}/${peprStoreKind.plural}/${name}`,
    contentType: "application/json-patch+json",
    body: [
      ...ops.map(({ op, key, value }) => ({
        op,
        path: `/data/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`,
        ...(op === "add" ? { value } : {}),
      })),
      { op: "replace", path: "/metadata/labels/pepr.dev-cacheID", value: `${Date.now()}` },
    ],
  });
}

/** Creates a PeprStore as Pepr 1.1.4's StoreController does on first start: the placeholder and the cacheID label. */
async function createPeprStore(name: string) {
  await client.request({
    method: "POST",
    path: `/apis/${peprStoreKind.apiVersion}/namespaces/${namespace}/${peprStoreKind.plural}`,
    body: {
      apiVersion: peprStoreKind.apiVersion,
      kind: peprStoreKind.kind,
      metadata: { name, namespace, labels: { "pepr.dev-cacheID": `${Date.now()}` } },
      data: { __pepr_do_not_delete__: "k-thx-bye" },
    },
  });
}

async function readPepr(name: string): Promise<PeprStoreObject> {
  return client.request<PeprStoreObject>({
    path: `/apis/${peprStoreKind.apiVersion}/namespaces/${namespace}/${peprStoreKind.plural}/${name}`,
  });
}

interface Replica {
  backend: ClusterStore;
  views: Map<string, CapabilityViews>;
  hello: Store;
  readyMs: number;
}

/** A Pepr-mode module's store in its own process-like replica, wired as src/runtime/module-runtime.ts wires it. */
async function replica(): Promise<Replica> {
  const own = await ApiClient.fromKubeconfig({ kubeconfig: inject("kubeconfig") });
  clients.push(own);
  const capabilities = [capability("hello", [sweep]), capability("hello-bar")];
  const step = peprImportStep({
    client: own,
    storeName: STORE,
    scheduleName: SCHEDULE,
    peprNamespace: namespace,
    capabilities,
    convertSchedule: peprScheduleConverter(capabilities),
  });
  const backend = new ClusterStore({
    client: own,
    namespace,
    name: STORE,
    beforeReady: step,
  });
  const views = attachCapabilityStores(backend, capabilities, { payloadKeys: "pepr" });
  const started = Date.now();
  backend.start();
  await backend.whenReady();
  const hello = views.get("hello")?.store;
  if (!hello) throw new Error("no hello store");
  return { backend, views, hello, readyMs: Date.now() - started };
}

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  await installPeprStoreCrd(client);
  namespace = await freshNamespace(client, "pepr-store");
  // What Pepr 1.1.4 leaves behind: its store with v2 keys of two capabilities, a legacy key, a key
  // of a capability this module no longer has, and its schedule store.
  await createPeprStore(STORE);
  const ops: { op: "add"; key: string; value: string }[] = [];
  for (let i = 0; i < KEYS; i++) ops.push({ op: "add", key: `hello-v2-k${i}`, value: `value ${i}` });
  for (const key of special) ops.push({ op: "add", key: `hello-v2-${key}`, value: `special ${key}` });
  ops.push({ op: "add", key: "hello-bar-v2-x", value: "bar" });
  ops.push({ op: "add", key: "hello-legacy", value: "from before v2" });
  ops.push({ op: "add", key: "removed-cap-v2-y", value: "left alone" });
  for (let i = 0; i < ops.length; i += 250) await peprPatch(STORE, ops.slice(i, i + 250));
  await createPeprStore(SCHEDULE);
  await peprPatch(SCHEDULE, [
    {
      op: "add",
      key: "hello-v2-sweep",
      value: JSON.stringify({ completions: 7, lastTimestamp: "2026-12-01T10:00:00.000Z", name: "sweep" }),
    },
  ]);
});

afterAll(async () => {
  await Promise.all([client, ...clients].map((c) => c?.close()));
});

describe("Pepr mode: a module that had a PeprStore", () => {
  const replicas: Replica[] = [];

  it("sees every existing key on its first start, with three replicas starting at once", async () => {
    const started = Date.now();
    replicas.push(...(await Promise.all([replica(), replica(), replica()])));
    const elapsed = Date.now() - started;
    for (const { hello, views } of replicas) {
      for (let i = 0; i < KEYS; i += 97) expect(hello.getItem(`k${i}`)).toBe(`value ${i}`);
      expect(hello.getItem(`k${KEYS - 1}`)).toBe(`value ${KEYS - 1}`);
      for (const key of special) expect(hello.getItem(key)).toBe(`special ${key}`);
      expect(hello.getItem("legacy")).toBe("from before v2");
      expect(views.get("hello-bar")?.store.getItem("x")).toBe("bar");
      expect(hello.getItem("bar-v2-x")).toBeNull();
      const schedule = parseState(views.get("hello")?.schedules.getItem("sweep") ?? null);
      expect(schedule).toMatchObject({ successes: 3, limit: 10, lastSlot: "2026-12-01T10:00:00.000Z" });
    }
    console.info(
      `imported ${KEYS + special.length + 2} keys into three replicas started at once: all ready in ${elapsed} ms (each: ${replicas.map((r) => r.readyMs).join(", ")} ms)`,
    );
    // The PeprStore is only read.
    const pepr = await readPepr(STORE);
    expect(pepr.data?.["hello-v2-k0"]).toBe("value 0");
    expect(pepr.data?.["hello-legacy"]).toBe("from before v2");
  });

  it("gives subscribe and onReady Pepr's payload: the capability's keys with v2- in front", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const ready = await new Promise<Record<string, string>>((resolve) => b.hello.onReady(resolve));
    expect(Object.keys(ready)).toHaveLength(KEYS + special.length + 1);
    expect(ready["v2-https://example.com/a~b"]).toBe("special https://example.com/a~b");
    expect(ready["v2-legacy"]).toBe("from before v2");
    const seen = new Promise<Record<string, string>>((resolve) => {
      const stop = b.hello.subscribe((data) => {
        if (data["v2-new"] !== "1") return;
        stop();
        resolve(data);
      });
    });
    await a.hello.setItemAndWait("new", "1");
    const payload = await seen;
    expect(payload["v2-k0"]).toBe("value 0");
    expect(Object.keys(payload).every((key) => key.startsWith("v2-"))).toBe(true);
  });

  it("does not import again over newer values on a restart; takes in only what Pepr changed since", async () => {
    const [a] = replicas as [Replica];
    await a.hello.setItemAndWait("k1", "capstan's newer value");
    await a.hello.removeItemAndWait("k2");
    await Promise.all(replicas.splice(0).map((r) => r.backend.close()));

    const restarted = await replica();
    replicas.push(restarted);
    expect(restarted.hello.getItem("k1")).toBe("capstan's newer value");
    expect(restarted.hello.getItem("k2")).toBeNull();
    expect(restarted.hello.getItem("k3")).toBe("value 3");
    await restarted.backend.close();
    replicas.splice(0);

    // Pepr's pods, still serving during the switch, wrote k3 and removed k4.
    await peprPatch(STORE, [
      { op: "add", key: "hello-v2-k3", value: "Pepr wrote this late" },
      { op: "remove", key: "hello-v2-k4" },
    ]);
    const again = await replica();
    replicas.push(again);
    expect(again.hello.getItem("k3")).toBe("Pepr wrote this late");
    expect(again.hello.getItem("k4")).toBeNull();
    expect(again.hello.getItem("k1")).toBe("capstan's newer value");
    expect(again.hello.getItem("k2")).toBeNull();
  });

  it("rolls back: the export leaves a PeprStore that Pepr reads with capstan's values", async () => {
    const [current] = replicas as [Replica];
    await current.hello.setItemAndWait("written-under-capstan", "yes");
    await current.views.get("hello-bar")?.store.removeItemAndWait("x");
    await current.backend.close();
    replicas.splice(0);
    // A last write of Pepr's that capstan never took in (its pods outlived capstan's last start).
    await peprPatch(STORE, [{ op: "add", key: "hello-v2-straggler", value: "pepr" }]);

    const result = await exportToPepr({
      client,
      namespace,
      storeName: STORE,
      scheduleName: SCHEDULE,
      peprNamespace: namespace,
      scheduleRecord: peprRecordOf,
    });
    console.info(
      `export to Pepr: ${result.keys} keys, ${result.bytes} bytes, ${result.schedules} schedule(s) in ${result.ms} ms`,
    );
    const pepr = await readPepr(STORE);
    // What Pepr 1.1.4's getItem reads: data["<capability>-v2-<key>"].
    expect(pepr.data?.["hello-v2-written-under-capstan"]).toBe("yes");
    expect(pepr.data?.["hello-v2-k1"]).toBe("capstan's newer value");
    expect(pepr.data?.["hello-v2-k2"]).toBeUndefined();
    expect(pepr.data?.["hello-v2-a/b"]).toBe("special a/b");
    expect(pepr.data?.["hello-bar-v2-x"]).toBeUndefined();
    expect(pepr.data?.["hello-v2-legacy"]).toBe("from before v2");
    // The legacy key is gone: Pepr 1.1.4 would otherwise copy its old value over the v2 one on start.
    expect(pepr.data?.["hello-legacy"]).toBeUndefined();
    expect(pepr.data?.["hello-v2-straggler"]).toBe("pepr");
    expect(pepr.data?.__pepr_do_not_delete__).toBe("k-thx-bye");
    expect(pepr.data?.["removed-cap-v2-y"]).toBe("left alone");
    expect(pepr.metadata?.labels?.["pepr.dev-cacheID"]).toMatch(/^\d+$/);
    const hello = readPeprData(pepr.data, ["hello", "hello-bar"]).byCapability.get("hello");
    // k0…k999 less k2 and k4, the special keys, legacy, new, written-under-capstan, straggler.
    expect(hello?.size).toBe(KEYS - 2 + special.length + 4);
    const schedule = JSON.parse(String((await readPepr(SCHEDULE)).data?.["hello-v2-sweep"]));
    expect(schedule).toEqual({ completions: 7, lastTimestamp: "2026-12-01T10:00:00.000Z", name: "sweep" });

    // Pepr runs again and keeps writing with its own patches...
    await peprPatch(STORE, [{ op: "add", key: "hello-v2-after-rollback", value: "pepr" }]);
    // ...and a later move to capstan takes in only that.
    const back = await replica();
    expect(back.hello.getItem("after-rollback")).toBe("pepr");
    expect(back.hello.getItem("straggler")).toBe("pepr");
    expect(back.hello.getItem("written-under-capstan")).toBe("yes");
    expect(back.hello.getItem("k1")).toBe("capstan's newer value");
    await back.backend.close();
  });
});
