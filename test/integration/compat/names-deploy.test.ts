import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { manifestFlavor } from "../../../src/cli/commands/deploy.ts";
import { deployedModules } from "../../../src/cli/commands/uuid.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { flavorNames } from "../../../src/model/flavor.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { description, fullModule, input } from "../../unit/build/fixtures.ts";

// `capstan deploy` of a Pepr-mode module over the admission Deployment Pepr 1.1.4 made
// (src/lib/assets/k8sObjects.ts: same name and selector, container `server`, applied by Pepr's deploy
// as field manager `pepr`). Applying as `pepr` replaces Pepr's fields; a different manager would
// leave Pepr's container beside capstan's.

interface LiveDeployment {
  metadata: { labels?: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { spec: { containers: { name: string }[]; volumes?: { name: string }[] } };
  };
}

const uuid = `takeover-${randomBytes(3).toString("hex")}`;
let client: ApiClient;
const namespaces: string[] = [];

/** The admission Deployment as Pepr 1.1.4's deploy leaves it (only the fields that matter here). */
function peprDeployment(namespace: string): KubeObject {
  const app = `pepr-${uuid}`;
  const selector = { app, "pepr.dev/controller": "admission" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: app,
      namespace,
      annotations: { "pepr.dev/description": "demo module" },
      labels: { ...selector, "pepr.dev/uuid": uuid },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          containers: [
            {
              name: "server",
              image: "ghcr.io/defenseunicorns/pepr/controller:v1.1.4",
              args: ["/app/node_modules/pepr/dist/controller.js", "0".repeat(64)],
              volumeMounts: [{ name: "tls-certs", mountPath: "/etc/certs", readOnly: true }],
            },
          ],
          volumes: [{ name: "tls-certs", secret: { secretName: `${app}-tls` } }],
        },
      },
    },
  };
}

/** capstan's Pepr-mode admission Deployment for the same uuid, in `namespace`. */
function capstanDeployment(namespace: string): KubeObject[] {
  const module = description([...(fullModule.capabilities[0]?.bindings ?? [])], {
    config: { uuid, onError: "reject", webhookTimeout: 10, namespace, flavor: "pepr" },
  });
  const manifests = moduleManifests(input(module, { namespace }));
  return manifests.objects(defaultsReader(manifests.catalog));
}

beforeAll(async () => {
  client = await adminClient();
});

afterAll(async () => {
  for (const namespace of namespaces) {
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
  }
  await client.close();
});

async function namespaceWithPeprDeployment(): Promise<string> {
  const namespace = await freshNamespace(client, "pepr-takeover");
  namespaces.push(namespace);
  await applyAll(client, [peprDeployment(namespace)], { fieldManager: "pepr" });
  return namespace;
}

describe("capstan deploy over Pepr's admission Deployment", () => {
  it("applies as `pepr` and replaces Pepr's container and volumes, keeping Pepr's selector", async () => {
    const namespace = await namespaceWithPeprDeployment();
    const objects = capstanDeployment(namespace);
    expect(manifestFlavor(objects)).toBe("pepr");
    const deployment = objects.find(
      (object) => object.kind === "Deployment" && object.metadata.name === `pepr-${uuid}`,
    );
    expect(deployment).toBeDefined();
    await applyAll(client, [deployment as KubeObject], { fieldManager: flavorNames("pepr").fieldManager });
    const live = await client.request<LiveDeployment>({ path: objectPath(deployment as KubeObject) });
    expect(live.spec.template.spec.containers.map((container) => container.name)).toEqual(["admission"]);
    expect(live.spec.template.spec.volumes?.map((volume) => volume.name)).not.toContain("tls-certs");
    expect(live.spec.selector.matchLabels).toEqual({ app: `pepr-${uuid}`, "pepr.dev/controller": "admission" });

    const listed = (await deployedModules(client, uuid)).filter((module) => module.namespace === namespace);
    expect(listed).toEqual([{ uuid, namespace, roles: ["admission"], description: "demo module" }]);
  });

  it("as capstan's manager, even forced, Pepr's container would stay beside capstan's", async () => {
    const namespace = await namespaceWithPeprDeployment();
    const deployment = capstanDeployment(namespace).find(
      (object) => object.kind === "Deployment" && object.metadata.name === `pepr-${uuid}`,
    ) as KubeObject;
    await applyAll(client, [deployment], { fieldManager: "capstan", force: true });
    const live = await client.request<LiveDeployment>({ path: objectPath(deployment) });
    expect(live.spec.template.spec.containers.map((container) => container.name).sort()).toEqual([
      "admission",
      "server",
    ]);
  });
});
