import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { RUNTIME_FIELD_MANAGER } from "../../../src/contract/runtime-contract.ts";
import { removeScratchModule, type ScratchModule, scratchModule } from "./module-fixture.ts";

/** Runs the installed CLI and returns its exit code and stderr (it is expected to fail here). */
function capstanResult(moduleDir: string, args: readonly string[]): { code: number; stderr: string; stdout: string } {
  try {
    const stdout = execFileSync(process.execPath, [join(moduleDir, "node_modules/capstan/bin/capstan.js"), ...args], {
      cwd: moduleDir,
      encoding: "utf8",
      stdio: "pipe",
    });
    return { code: 0, stderr: "", stdout };
  } catch (error) {
    const failed = error as { status: number; stderr: string; stdout: string };
    return { code: failed.status, stderr: failed.stderr, stdout: failed.stdout };
  }
}

// The local control plane runs no kubelet, so pods never start: deploy applies everything for real
// and its rollout wait must end with a message naming each Deployment that is not ready.
describe("capstan deploy and capstan uuid", () => {
  let module: ScratchModule;
  let objects: KubeObject[];
  let moduleDir: string;
  let namespace: string;
  let uuid: string;
  const kubeconfig = () => inject("kubeconfig");

  beforeAll(async () => {
    module = await scratchModule("deploy", { description: "deploy test", buildArgs: ["--no-typecheck"] });
    ({ objects, moduleDir, namespace, uuid } = module);
  }, 600_000);

  afterAll(() => removeScratchModule(module));

  it("without --yes and without a terminal it refuses and applies nothing", async () => {
    const result = capstanResult(moduleDir, ["deploy", "--kubeconfig", kubeconfig()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("pass --yes");
    await expect(
      module.client.request({ path: objectPath(objects.find((o) => o.kind === "Deployment") as KubeObject) }),
    ).rejects.toThrow();
  });

  it("applies every object but the webhooks, then times out naming the Deployments that are not ready", async () => {
    const result = capstanResult(moduleDir, ["deploy", "--yes", "--timeout", "3", "--kubeconfig", kubeconfig()]);
    expect(result.code).toBe(1);
    // Webhook configurations come last, only once the pods serve: a rollout that times out leaves none.
    const webhooks = objects.filter((object) => object.kind.endsWith("WebhookConfiguration"));
    expect(webhooks).toHaveLength(2);
    expect(result.stderr).toContain(`[${objects.length - webhooks.length}/${objects.length}] applied`);
    expect(result.stderr).not.toContain(`[${objects.length}/${objects.length}] applied`);
    expect(result.stderr).toMatch(/Timed out after 3 s waiting for the rollout; not ready:/);
    expect(result.stderr).toContain(`Deployment ${namespace}/capstan-${uuid}-admission: 0/2 updated, 0/2 available`);
    expect(result.stderr).toContain(`Deployment ${namespace}/capstan-${uuid}-controller: 0/2 updated, 0/2 available`);
    // This control plane runs no deployment controller: the report says so instead of guessing.
    expect(result.stderr).toContain(
      "no ReplicaSet: the Deployment has no status, so no deployment controller has processed it",
    );
    expect(result.stderr).toContain("applied no webhook configuration");
    // Offline here: the statement says it could not check, rather than nothing.
    expect(result.stderr).toMatch(/capstan: the manifests use image \S+: (exists|not found|could not check)/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    for (const object of webhooks) {
      await expect(module.client.request({ path: objectPath(object) })).rejects.toThrow(/404|not found/i);
    }
    for (const object of objects.filter((object) => !webhooks.includes(object))) {
      const live = await module.client.request<KubeObject & { metadata: { managedFields?: { manager: string }[] } }>({
        path: objectPath(object),
      });
      expect(live.metadata.managedFields?.some((field) => field.manager === "capstan")).toBe(true);
    }
  });

  it("applying again is a no-op, and capstan uuid lists the module", () => {
    expect(capstanResult(moduleDir, ["deploy", "--yes", "--no-wait", "--kubeconfig", kubeconfig()]).code).toBe(0);
    const listed = capstanResult(moduleDir, ["uuid", uuid, "--kubeconfig", kubeconfig()]);
    expect(listed.code).toBe(0);
    // No kubelet here: the module is listed, but not as ready.
    expect(listed.stdout.split("\n")[1]).toMatch(
      new RegExp(
        `^${uuid}\\s+${namespace}\\s+no\\s+admission 0/2, controller 0/2\\s+mutating,validating\\s+deploy test$`,
      ),
    );
    expect(capstanResult(moduleDir, ["uuid", "no-such-module", "--kubeconfig", kubeconfig()]).code).toBe(1);
  });

  it("a redeploy keeps the caBundle the runtime wrote under its own field manager", async () => {
    const config = objects.find((object) => object.kind === "ValidatingWebhookConfiguration") as KubeObject & {
      webhooks: { name: string }[];
    };
    const caBundle = Buffer.from("runtime CA").toString("base64");
    await module.client.request({
      method: "PATCH",
      path: objectPath(config),
      query: { fieldManager: RUNTIME_FIELD_MANAGER, force: true },
      contentType: "application/apply-patch+yaml",
      body: JSON.stringify({
        apiVersion: config.apiVersion,
        kind: config.kind,
        metadata: { name: config.metadata.name },
        webhooks: config.webhooks.map((webhook) => ({ name: webhook.name, clientConfig: { caBundle } })),
      }),
    });
    expect(capstanResult(moduleDir, ["deploy", "--yes", "--no-wait", "--kubeconfig", kubeconfig()]).code).toBe(0);
    const live = await module.client.request<{ webhooks: { clientConfig: { caBundle?: string } }[] }>({
      path: objectPath(config),
    });
    expect(live.webhooks.map((webhook) => webhook.clientConfig.caBundle)).toEqual(config.webhooks.map(() => caBundle));
  });
});
