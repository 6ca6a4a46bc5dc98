import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { peprEnv } from "../../../src/runtime/pepr-env.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { installPeprStoreCrd } from "../../../src/store/pepr-export.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let runtime: ModuleRuntime | undefined;

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  await installPeprStoreCrd(client);
});

afterAll(async () => {
  await runtime?.close();
  await client?.close();
});

const configMap = (namespace: string) => ({
  method: "POST" as const,
  path: `/api/v1/namespaces/${namespace}/configmaps`,
  body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "probe", namespace } },
});

describe("PEPR_ADDITIONAL_IGNORED_NAMESPACES", () => {
  it("keeps the watches out of the namespaces it lists", async () => {
    const home = await freshNamespace(client, "pepr-env-home");
    const ignored = await freshNamespace(client, "pepr-env-ignored");
    const seen: string[] = [];
    const capability = new Capability({ name: "watcher", description: "" });
    capability
      .When(ConfigMap)
      .IsCreated()
      .WithName("probe")
      .Watch((cm) => {
        if (cm.metadata?.namespace) seen.push(cm.metadata.namespace);
      });
    const module = new PeprModule({ pepr: { uuid: "pepr-env-ignored", onError: "reject" } }, [capability], {
      deferStart: true,
    });
    const env = peprEnv({ PEPR_ADDITIONAL_IGNORED_NAMESPACES: ignored });
    runtime = await startModuleRuntime({
      module,
      client,
      role: "controller",
      namespace: home,
      controller: { leaseName: false },
      additionalIgnoredNamespaces: env.additionalIgnoredNamespaces,
    });
    // One cluster-wide watch delivers in resourceVersion order: the ignored namespace's object comes first.
    await client.request(configMap(ignored));
    await client.request(configMap(home));
    await eventually(() => (seen.includes(home) ? true : undefined), { timeoutMs: 30_000 });
    expect(seen).not.toContain(ignored);
  });
});
