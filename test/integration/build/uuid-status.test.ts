import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import { undeployModule } from "../../../src/build/deploy/undeploy.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { deployedModules, formatModules, moduleStatus } from "../../../src/cli/commands/uuid.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { binding, description, input, widget } from "../../unit/build/fixtures.ts";

// A module whose Deployments are gone but whose webhook configuration stayed (deleted by hand, or a
// deploy from before this check): `capstan uuid` must list it as not ready, not hide it. The webhook
// validates example.com Widgets and fails open (`onError: ignore`), so it blocks no other test.

const uuid = `orphan-${randomBytes(3).toString("hex")}`;
let client: ApiClient;
let namespace: string;
let webhook: KubeObject;

beforeAll(async () => {
  client = await adminClient();
  namespace = await freshNamespace(client, "uuid-status");
  const module = description([binding("validate", widget)], {
    config: { uuid, onError: "ignore", webhookTimeout: 10, namespace, flavor: "capstan" },
  });
  const built = moduleManifests(input(module, { namespace }));
  webhook = built
    .objects(defaultsReader(built.catalog))
    .find((object) => object.kind === "ValidatingWebhookConfiguration") as KubeObject;
});

afterAll(async () => {
  await undeployModule(client, uuid).catch(() => {});
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
  await client.close();
});

describe("capstan uuid", () => {
  it("lists a module that only has webhook configurations left, as not ready, and says how to remove it", async () => {
    expect(webhook).toBeDefined();
    await applyAll(client, [webhook]);
    const modules = await deployedModules(client, uuid);
    expect(modules).toEqual([{ uuid, namespace, roles: [], description: "" }]);
    const status = await moduleStatus(client, modules[0] as (typeof modules)[0]);
    expect(status).toEqual({
      ready: false,
      pods: [],
      webhooks: ["validating"],
      problems: [
        `webhook configurations without a Deployment reject the requests they match: capstan undeploy ${uuid} removes them`,
      ],
    });
    expect(formatModules(modules, [status]).split("\n")[1]).toMatch(
      new RegExp(`^${uuid}\\s+${namespace}\\s+no\\s+none\\s+validating$`),
    );
    expect((await undeployModule(client, uuid)).deleted).toEqual([`ValidatingWebhookConfiguration capstan-${uuid}`]);
    expect(await deployedModules(client, uuid)).toEqual([]);
  });
});
