import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { ApiError, NotFoundError } from "../../../src/k8s/errors.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { eventually, startTestCluster, withModuleOnCluster } from "../../../src/testing/index.ts";

interface StoredConfigMap {
  metadata: { name: string; labels?: Record<string, string> };
}

function sampleModule(uuid: string, seen: string[]) {
  const capability = new Capability({ name: "kit", description: "test kit on a cluster" });
  capability
    .When(ConfigMap)
    .IsCreated()
    .Mutate((request) => void request.SetLabel("kit", "mutated"))
    .Validate((request) =>
      "password" in (request.Raw.data ?? {}) ? request.Deny("no passwords here", 422) : request.Approve(),
    );
  capability
    .When(ConfigMap)
    .IsCreated()
    .WithLabel("kit")
    .Reconcile(async (configMap) => {
      await capability.Store.setItemAndWait(`seen-${configMap.metadata?.name}`, "yes");
      seen.push(configMap.metadata?.name ?? "");
    });
  return new PeprModule({ capstan: { uuid, onError: "reject" } }, [capability], { deferStart: true });
}

describe("the module on a cluster", () => {
  it("runs the module in dev mode against the cluster and tears it down: webhooks, reconcile, Store", async () => {
    const uuid = `kit-${randomBytes(4).toString("hex")}`;
    const seen: string[] = [];
    const module = sampleModule(uuid, seen);
    const storeNamespace = `kit-store-${randomBytes(4).toString("hex")}`;
    let configuration = "";
    await withModuleOnCluster(
      module,
      async ({ cluster, module: running }) => {
        configuration = running.runtime.admission?.configurationName ?? "";
        const namespace = await cluster.namespace("kit");
        const path = `/api/v1/namespaces/${namespace}/configmaps`;
        // The API server may take a moment to pick up the new webhook configuration: each try is a new object.
        let attempt = 0;
        const created = await eventually(
          () =>
            cluster.client
              .request<StoredConfigMap>({ method: "POST", path, body: { metadata: { name: `plain-${++attempt}` } } })
              .then((object) => (object.metadata.labels?.kit ? object : undefined)),
          { what: "the mutating webhook to label a ConfigMap" },
        );
        expect(created.metadata.labels).toEqual({ kit: "mutated" });
        const denied = await cluster.client
          .request({ method: "POST", path, body: { metadata: { name: "secret" }, data: { password: "x" } } })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(denied).toBeInstanceOf(ApiError);
        expect((denied as ApiError).message).toContain("no passwords here");
        const name = created.metadata.name;
        await eventually(() => (seen.includes(name) ? true : undefined), { what: "Reconcile of the ConfigMap" });
        expect(module.capabilities[0]?.Store.getItem(`seen-${name}`)).toBe("yes");
      },
      { kubeconfig: inject("kubeconfig"), namespace: storeNamespace },
    );
    const cluster = await startTestCluster({ kubeconfig: inject("kubeconfig") });
    try {
      const gone = await cluster.client
        .request({ path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${configuration}` })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(configuration).toBe(`capstan-test-${uuid}`);
      expect(gone).toBeInstanceOf(NotFoundError);
      await cluster.client.request({ method: "DELETE", path: `/api/v1/namespaces/${storeNamespace}` });
    } finally {
      await cluster.stop();
    }
  });

  it("starts a private local control plane and stops it", async () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), "capstan-kit-plane-")), "plane");
    const cluster = await startTestCluster({ stateDir });
    expect(cluster.owned).toBe(true);
    const version = await cluster.client.request<{ major: string }>({ path: "/version" });
    expect(version.major).toBe("1");
    const state = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8")) as { pids: Record<string, number> };
    await cluster.stop();
    for (const pid of Object.values(state.pids)) expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(join(stateDir, "state.json"))).toBe(true);
  });
});
