// Issue 18: a sharded module that serves admission labels new objects with their shard on admission
// (its own mutating webhook), so an object is on its shard in the create response, before the
// assigner could write anything; with the webhook server gone, creates still succeed (failurePolicy
// Ignore) and the assigner labels what the webhook missed.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { localCredentials } from "../../../src/runtime/webhook-credentials.ts";
import { SHARD_LABEL } from "../../../src/shard/index.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { registry } from "../../../src/telemetry/index.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let admin: ApiClient;
let namespace: string;
const uuid = `label${Date.now().toString(36)}`;
const runtimes: ModuleRuntime[] = [];
const clients: ApiClient[] = [];
const reconciledBy = new Map<string, string[]>();

interface ConfigMapObject {
  metadata: { name: string; labels?: Record<string, string> };
}

beforeAll(async () => {
  admin = await adminClient();
  await installStoreCrd(admin);
  namespace = await freshNamespace(admin, "shard-label");
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.close().catch(() => {});
  for (const client of clients) await client.close();
  await admin
    .request({
      method: "DELETE",
      path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/capstan-${uuid}`,
    })
    .catch(() => {});
  await admin
    .request({
      method: "DELETE",
      path: `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/capstan-${uuid}`,
    })
    .catch(() => {});
  await admin.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
  await admin.close();
});

/** The module as its author wrote it, with a Validate binding (so it serves admission) and a Reconcile. */
function module(replica: string): PeprModule {
  const cap = new Capability({ name: "labelled", description: "" });
  cap
    .When(ConfigMap)
    .IsCreatedOrUpdated()
    .InNamespace(namespace)
    .Reconcile((cm) => {
      const name = cm.metadata?.name ?? "";
      reconciledBy.set(name, [...(reconciledBy.get(name) ?? []), replica]);
    });
  cap
    .When(ConfigMap)
    .IsCreated()
    .InNamespace(namespace)
    .Validate((req) => req.Approve());
  return new PeprModule({ capstan: { uuid, onError: "ignore", controller: { shards: "auto" } } }, [cap], {
    deferStart: true,
  });
}

async function start(role: "admission" | "controller", replica: string): Promise<ModuleRuntime> {
  const client = await adminClient();
  clients.push(client);
  const runtime = await startModuleRuntime({
    module: module(replica),
    client,
    role,
    namespace,
    controller: { leaseName: `${uuid}-leader` },
    engineEnv: { podName: replica, storeLogValues: false },
    ...(role === "admission" && {
      admission: {
        credentials: await localCredentials(),
        apiPath: randomBytes(16).toString("hex"),
        endpoint: (port: number) => ({ url: `https://127.0.0.1:${port}` }),
        port: 0,
        host: "127.0.0.1",
        registration: "apply" as const,
        namespaceSelector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In" as const, values: [namespace] }],
        },
      },
    }),
  });
  runtimes.push(runtime);
  return runtime;
}

const create = (name: string, dryRun = false) =>
  admin.request<ConfigMapObject>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    ...(dryRun && { query: { dryRun: "All" } }),
    body: { metadata: { name }, data: { v: "1" } },
  });

describe("the shard label webhook (controller.shards with admission)", () => {
  it("puts each new object on its shard in the create response, and the assigner leaves it there", {
    timeout: 120_000,
  }, async () => {
    await start("controller", "replica-a");
    await start("controller", "replica-b");
    await eventually(async () => ((await registry.metrics()).includes("capstan_shard_members 2") ? true : undefined), {
      what: "the assigner seeing both shards",
    });
    const admission = await start("admission", "admission-0");
    // The webhook registered and its ring holding both shards (its view is re-read every 2 s).
    const seen = new Set<string>();
    await eventually(
      async () => {
        const label = (await create(`probe-${seen.size}-${Date.now()}`, true)).metadata.labels?.[SHARD_LABEL];
        if (label) seen.add(label);
        return seen.size === 2 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "dry-run creates labelled with both shards" },
    );

    const names = Array.from({ length: 40 }, (_, i) => `cm-${i}`);
    const labels = new Map<string, string>();
    for (const name of names) {
      const created = await create(name);
      const label = created.metadata.labels?.[SHARD_LABEL];
      expect(label, `${name} labelled in the create response`).toMatch(/^replica-[ab]$/);
      labels.set(name, label as string);
    }
    expect(new Set(labels.values()).size).toBe(2);
    // Each object reconciled by the replica its label names, and by no other.
    await eventually(() => (names.every((name) => reconciledBy.has(name)) ? true : undefined), {
      what: "every object reconciled",
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const name of names) expect(new Set(reconciledBy.get(name))).toEqual(new Set([labels.get(name)]));
    // The assigner agreed with the webhook: no label moved.
    const list = await admin.request<{ items: ConfigMapObject[] }>({
      path: `/api/v1/namespaces/${namespace}/configmaps`,
    });
    for (const item of list.items) {
      if (labels.has(item.metadata.name))
        expect(item.metadata.labels?.[SHARD_LABEL]).toBe(labels.get(item.metadata.name));
    }

    // The webhook server gone: creates still succeed, unlabelled, and the assigner labels them.
    await admission.close();
    runtimes.splice(runtimes.indexOf(admission), 1);
    const late = await create("late");
    expect(late.metadata.labels?.[SHARD_LABEL]).toBeUndefined();
    await eventually(() => (reconciledBy.has("late") ? true : undefined), {
      timeoutMs: 20_000,
      what: "the object created without the webhook labelled by the assigner and reconciled",
    });
  });
});
