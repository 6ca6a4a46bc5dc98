import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { main } from "../../../src/cli/main.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ClusterStore } from "../../../src/store/cluster-store.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { type PeprStoreObject, peprStoreKind } from "../../../src/store/pepr-layout.ts";
import { Store } from "../../../src/store/store.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

const UUID = "cli-rollback";
let client: ApiClient;
let namespace: string;

/** Runs the CLI in this process; returns its exit code and what it wrote to stderr. */
async function run(args: string[]): Promise<{ code: number; said: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let said = "";
  process.stderr.write = ((chunk: string) => {
    said += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(["node", "capstan", ...args]), said };
  } finally {
    process.stderr.write = original;
  }
}

function exportArgs(...extra: string[]): string[] {
  return [
    "store",
    "export",
    "--uuid",
    UUID,
    "--namespace",
    namespace,
    "--pepr-namespace",
    namespace,
    "--kubeconfig",
    inject("kubeconfig"),
    ...extra,
  ];
}

/** A Deployment of capstan's for the module, as `capstan deploy` leaves it (no kubelet needed: only its spec counts). */
async function capstanDeployment(name: string) {
  await client.request({
    method: "POST",
    path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
    body: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "capstan" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "server", image: "capstan:none" }] },
        },
      },
    },
  });
}

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  namespace = await freshNamespace(client, "pepr-cli");
  const backend = new ClusterStore({ client, namespace, name: `pepr-${UUID}-store` });
  const store = new Store("policy", { payloadKeys: "pepr" });
  store.attach(backend);
  backend.start();
  await backend.whenReady();
  await store.setItemAndWait("allowed/registries", "ghcr.io");
  await backend.close();
});

afterAll(async () => {
  await client?.close();
});

describe("capstan store export --to-pepr", () => {
  it("says what is missing without --to-pepr", async () => {
    const { code, said } = await run(exportArgs());
    expect(code).toBe(1);
    expect(said).toContain("say where to export: --to-pepr");
  });

  it("refuses a module it holds no Store of (a mistyped uuid or namespace)", async () => {
    const args = exportArgs("--to-pepr").map((arg) => (arg === UUID ? "no-such-module" : arg));
    const { code, said } = await run(args);
    expect(code).toBe(1);
    expect(said).toContain(
      `capstan holds no Store pepr-no-such-module-store in ${namespace}: check --uuid and --namespace`,
    );
  });

  it("refuses while capstan's Deployments of the module have pods, then writes the PeprStore once they are scaled down", async () => {
    await capstanDeployment(`pepr-${UUID}`);
    const refused = await run(exportArgs("--to-pepr"));
    expect(refused.code).toBe(1);
    expect(refused.said).toContain(`capstan still runs module ${UUID} (pepr-${UUID} in ${namespace})`);
    await client.request({
      method: "PATCH",
      path: `/apis/apps/v1/namespaces/${namespace}/deployments/pepr-${UUID}`,
      contentType: "application/merge-patch+json",
      body: { spec: { replicas: 0 } },
    });
    // Once the Deployment controller has scaled it down (its pods are gone), the export goes ahead.
    const done = await eventually(async () => {
      const outcome = await run(exportArgs("--to-pepr"));
      return outcome.code === 0 ? outcome : undefined;
    });
    expect(done.said).toContain("wrote 1 keys");
    const pepr = await client.request<PeprStoreObject>({
      path: `/apis/${peprStoreKind.apiVersion}/namespaces/${namespace}/${peprStoreKind.plural}/pepr-${UUID}-store`,
    });
    expect(pepr.data).toEqual({ __pepr_do_not_delete__: "k-thx-bye", "policy-v2-allowed/registries": "ghcr.io" });
  });
});
