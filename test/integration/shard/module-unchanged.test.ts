// Issue 18: a module written without sharding in mind runs unchanged with controller.shards on.
// Two controller replicas of one module (two runtimes with their own clients and Pod names) share
// the ConfigMaps of a namespace: each object is seen by exactly one replica, real deletes still
// reach Watch callbacks, and the Store stays shared.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { registry } from "../../../src/telemetry/index.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let admin: ApiClient;
let namespace: string;
const runtimes: ModuleRuntime[] = [];
const clients: ApiClient[] = [];

beforeAll(async () => {
  admin = await adminClient();
  await installStoreCrd(admin);
  namespace = await freshNamespace(admin, "shard-module");
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.close();
  for (const client of clients) await client.close();
  await admin.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` });
  await admin.close();
});

interface Seen {
  readonly replica: string;
  readonly phase: string;
  readonly name: string;
}

describe("a module with controller.shards on", () => {
  it("runs its Watch and Reconcile bindings unchanged, each object on one replica", async () => {
    const seen: Seen[] = [];
    const replica = async (podName: string) => {
      // The module as its author wrote it: nothing in it knows about shards.
      const cap = new Capability({ name: "plain", description: "" });
      cap
        .When(ConfigMap)
        .IsCreatedOrUpdated()
        .InNamespace(namespace)
        .Watch((cm, phase) => {
          seen.push({ replica: podName, phase, name: cm.metadata?.name ?? "" });
        });
      cap
        .When(ConfigMap)
        .IsDeleted()
        .InNamespace(namespace)
        .Watch((cm, phase) => {
          seen.push({ replica: podName, phase, name: cm.metadata?.name ?? "" });
        });
      cap
        .When(ConfigMap)
        .IsCreatedOrUpdated()
        .InNamespace(namespace)
        .Reconcile(async (cm) => {
          await cap.Store.setItemAndWait(`done-${cm.metadata?.name}`, podName);
        });
      const module = new PeprModule(
        { capstan: { uuid: "shard-module", onError: "reject", controller: { shards: "auto" } } },
        [cap],
        { deferStart: true },
      );
      const client = await adminClient();
      clients.push(client);
      runtimes.push(
        await startModuleRuntime({
          module,
          client,
          role: "controller",
          namespace,
          controller: { leaseName: "shard-module-leader" },
          engineEnv: { podName, storeLogValues: false },
        }),
      );
      return cap;
    };
    const first = await replica("replica-a");
    await replica("replica-b");

    // Membership settled (objects created while a replica joins would be moved to it once, arriving there as ADDED).
    await eventually(async () => ((await registry.metrics()).includes("capstan_shard_members 2") ? true : undefined), {
      what: "the assigner seeing both shards",
    });
    const names = Array.from({ length: 30 }, (_, i) => `cm-${i}`);
    for (const name of names) {
      await admin.request({
        method: "POST",
        path: `/api/v1/namespaces/${namespace}/configmaps`,
        body: { metadata: { name }, data: { v: "1" } },
      });
    }
    // Every object reconciled (the Store is shared: one replica reads the other's writes).
    await eventually(() => (names.every((name) => first.Store.getItem(`done-${name}`)) ? true : undefined), {
      timeoutMs: 60_000,
      what: "every ConfigMap reconciled",
    });
    const owners = new Map<string, string>();
    for (const name of names) owners.set(name, first.Store.getItem(`done-${name}`) ?? "");
    expect(new Set(owners.values())).toEqual(new Set(["replica-a", "replica-b"]));
    // Each object's ADDED reached exactly one replica: the one that reconciled it.
    for (const name of names) {
      const added = seen.filter((s) => s.name === name && s.phase === "ADDED");
      expect(added.map((s) => s.replica)).toEqual([owners.get(name)]);
    }
    const labels = await admin.request<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>({
      path: `/api/v1/namespaces/${namespace}/configmaps`,
    });
    for (const item of labels.items.filter((i) => names.includes(i.metadata.name))) {
      expect(item.metadata.labels?.["capstan.dev/shard"]).toBe(owners.get(item.metadata.name));
    }

    // Per-shard metrics (what `capstan monitor --ring` reads): each replica's owned objects.
    // (kube-root-ca.crt, which the API server puts in every namespace, is a watched ConfigMap too.)
    const owned = (shard: string) =>
      labels.items.filter((item) => item.metadata.labels?.["capstan.dev/shard"] === shard).length;
    await eventually(
      async () => {
        const text = await registry.metrics();
        return ["replica-a", "replica-b"].every((shard) =>
          text.includes(`capstan_shard_objects_owned{shard="${shard}"} ${owned(shard)}`),
        )
          ? true
          : undefined;
      },
      { what: "capstan_shard_objects_owned of both shards" },
    );
    expect(await registry.metrics()).toMatch(/capstan_shard_moves_total\{shard="replica-[ab]"\} \d+/);
    expect(await registry.metrics()).toMatch(/capstan_shard_members 2/);

    // A real delete is not swallowed: the owner's Watch sees DELETED, once.
    await admin.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}/configmaps/cm-0` });
    await eventually(() => (seen.some((s) => s.name === "cm-0" && s.phase === "DELETED") ? true : undefined), {
      what: "the DELETED event of cm-0",
    });
    expect(seen.filter((s) => s.name === "cm-0" && s.phase === "DELETED").map((s) => s.replica)).toEqual([
      owners.get("cm-0"),
    ]);
  }, 120_000);
});
