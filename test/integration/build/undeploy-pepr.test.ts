import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import { findModuleObjects, undeployModule } from "../../../src/build/deploy/undeploy.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { description, fullModule, input } from "../../unit/build/fixtures.ts";

// `capstan undeploy` of a Pepr-mode module: Pepr's names (pepr-<uuid>, -watcher, -store, -tls), the
// `pepr.dev/uuid` label, and the Secrets only Pepr's own deploy makes (-api-path, -module).

const uuid = `undeploy-${randomBytes(3).toString("hex")}`;
let client: ApiClient;
let namespace: string;
let manifests: KubeObject[];

async function present(object: KubeObject): Promise<boolean> {
  try {
    await client.request({ path: objectPath(object) });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

const secret = (name: string): KubeObject =>
  ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "Opaque" }) as KubeObject;

beforeAll(async () => {
  client = await adminClient();
  namespace = await freshNamespace(client, "undeploy-pepr");
  const module = description([...(fullModule.capabilities[0]?.bindings ?? [])], {
    config: { uuid, onError: "reject", webhookTimeout: 10, namespace, flavor: "pepr" },
    storeUsed: true,
  });
  const built = moduleManifests(input(module, { namespace }));
  manifests = built.objects(defaultsReader(built.catalog));
});

afterAll(async () => {
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
  await client.close();
});

describe("undeploy of a Pepr-mode module", () => {
  it("deletes what the deploy, the runtime and Pepr's own deploy made; the Store object only with purge", async () => {
    await installStoreCrd(client);
    await applyAll(
      client,
      manifests.filter((object) => object.kind !== "CustomResourceDefinition"),
      { fieldManager: "pepr" },
    );
    const extra = [secret(`pepr-${uuid}-tls`), secret(`pepr-${uuid}-api-path`), secret(`pepr-${uuid}-module`)];
    for (const object of extra) {
      await client.request({ method: "POST", path: `/api/v1/namespaces/${namespace}/secrets`, body: object });
    }
    const store = {
      apiVersion: "capstan.dev/v1",
      kind: "CapstanStore",
      metadata: { name: `pepr-${uuid}-store`, namespace },
    } as KubeObject;
    await client.request({
      method: "POST",
      path: `/apis/capstan.dev/v1/namespaces/${namespace}/capstanstores`,
      body: { ...store, data: {} },
    });
    const made = [
      ...manifests.filter((object) => object.kind !== "Namespace" && object.kind !== "CustomResourceDefinition"),
      ...extra,
    ];
    expect(made.map((object) => object.metadata.name)).toContain(`pepr-${uuid}-watcher`);
    expect((await Promise.all(made.map(present))).every(Boolean)).toBe(true);

    const found = await findModuleObjects(client, uuid);
    expect(found.slice(0, 2).map((object) => object.kind)).toEqual([
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ]);
    const result = await undeployModule(client, uuid);
    expect(result.deleted).toHaveLength(made.length);
    expect((await Promise.all(made.map(present))).some(Boolean)).toBe(false);
    expect(await present(store)).toBe(true);
    expect(result.namespaces).toEqual([
      `kept namespace ${namespace} (and the module's Store objects in it): --purge removes them`,
    ]);

    expect((await undeployModule(client, uuid)).deleted).toEqual([]);
    const purged = await undeployModule(client, uuid, { purge: true, flavor: "pepr", namespace });
    expect(purged.deleted).toEqual([`CapstanStore ${namespace}/pepr-${uuid}-store`, `Namespace ${namespace}`]);
    await eventually(
      async () =>
        (await present({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } as KubeObject))
          ? undefined
          : true,
      { what: "the namespace gone", timeoutMs: 90_000 },
    );
  });
});
