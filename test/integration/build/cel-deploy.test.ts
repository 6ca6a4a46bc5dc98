import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import { findModuleObjects, undeployModule } from "../../../src/build/deploy/undeploy.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ApiError, NotFoundError } from "../../../src/k8s/errors.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { binding, configMap, description, input } from "../../unit/build/fixtures.ts";

// A ValidateCEL binding through the build: its policy and binding are in the manifests, the deploy's
// apply makes them enforce (no pod runs here at all), and undeploy finds and deletes them first.

const uuid = `cel-${randomBytes(3).toString("hex")}`;
let client: ApiClient;
let target: string;
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

/** The denial message of a ConfigMap without a team label in `target` ("" = admitted). */
async function denial(name: string): Promise<string> {
  try {
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${target}/configmaps`,
      query: { dryRun: "All" },
      body: { metadata: { name } },
    });
    return "";
  } catch (error) {
    if (error instanceof ApiError) return error.message;
    throw error;
  }
}

beforeAll(async () => {
  client = await adminClient();
  target = await freshNamespace(client, "cel-deploy");
  const module = description(
    [
      binding("validate-cel", configMap, {
        event: "CREATE",
        isValidate: false,
        filters: {
          name: "",
          namespaces: [target],
          namespaceRegExps: [],
          labels: {},
          annotations: {},
          deletionTimestamp: false,
        },
        cel: { validations: [{ expression: "has(object.metadata.labels)", message: "label it" }], actions: ["Deny"] },
      }),
    ],
    { config: { uuid, onError: "reject", webhookTimeout: 10, namespace: `${target}-sys`, flavor: "capstan" } },
  );
  const built = moduleManifests(input(module, { namespace: `${target}-sys` }));
  manifests = built.objects(defaultsReader(built.catalog));
});

afterAll(async () => {
  for (const ns of [target, `${target}-sys`]) {
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  }
  await client.close();
});

describe("ValidateCEL through build, deploy and undeploy", () => {
  it("the manifests' policy enforces once applied, with no module pod, and undeploy removes it first", async () => {
    const policies = manifests.filter((object) => object.kind.startsWith("ValidatingAdmissionPolicy"));
    expect(policies.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      `ValidatingAdmissionPolicy/capstan-${uuid}-hello-0-validate-cel-configmap`,
      `ValidatingAdmissionPolicyBinding/capstan-${uuid}-hello-0-validate-cel-configmap`,
    ]);
    // Only what the policies need: no Deployment is applied, so nothing of the module runs.
    await applyAll(
      client,
      manifests.filter((object) => object.kind === "Namespace" || policies.includes(object)),
      { fieldManager: "capstan" },
    );
    let n = 0;
    await eventually(async () => ((await denial(`c-${n++}`)).includes("label it") ? true : undefined), {
      what: "the deployed policy to deny",
      timeoutMs: 60_000,
    });

    const found = await findModuleObjects(client, uuid, { flavor: "capstan" });
    expect(found.slice(0, 2).map((object) => object.kind)).toEqual([
      "ValidatingAdmissionPolicyBinding",
      "ValidatingAdmissionPolicy",
    ]);
    await undeployModule(client, uuid, { flavor: "capstan" });
    expect((await Promise.all(policies.map(present))).some(Boolean)).toBe(false);
    await eventually(async () => ((await denial(`d-${n++}`)) === "" ? true : undefined), {
      what: "the policy to stop denying",
    });
  });
});
