import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseManifests } from "../../../src/build/deploy/apply.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import {
  capstanFromCheckout,
  capstanInstalled,
  editPackageJson,
  installCapstan,
  packCapstan,
} from "./module-fixture.ts";

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
  let work: string;
  let moduleDir: string;
  let client: ApiClient;
  let namespace: string;
  let uuid: string;
  let objects: KubeObject[];
  const kubeconfig = () => inject("kubeconfig");

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "capstan-deploy-"));
    client = await adminClient();
    namespace = await freshNamespace(client, "build-deploy");
    uuid = `deploy-${namespace.slice(-8)}`;
    capstanFromCheckout(
      ["init", "--yes", "--skip-install", "--name", "deploy-module", "--description", "deploy test", "--uuid", uuid],
      work,
    );
    moduleDir = join(work, "deploy-module");
    installCapstan(moduleDir, packCapstan(work));
    editPackageJson(moduleDir, (pkg) => {
      (pkg.capstan as Record<string, unknown>).namespace = namespace;
    });
    capstanInstalled(moduleDir, ["build", "--no-typecheck"]);
    objects = parseManifests(readFileSync(join(moduleDir, "dist", `capstan-module-${uuid}.yaml`), "utf8"));
  }, 600_000);

  afterAll(async () => {
    for (const object of objects ?? []) {
      if (object.metadata.namespace || object.kind === "Namespace") continue;
      await client.request({ method: "DELETE", path: objectPath(object) }).catch(() => {});
    }
    await client?.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("without --yes and without a terminal it refuses and applies nothing", async () => {
    const result = capstanResult(moduleDir, ["deploy", "--kubeconfig", kubeconfig()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("pass --yes");
    await expect(
      client.request({ path: objectPath(objects.find((o) => o.kind === "Deployment") as KubeObject) }),
    ).rejects.toThrow();
  });

  it("applies every object, then times out naming the Deployments that are not ready", async () => {
    const result = capstanResult(moduleDir, ["deploy", "--yes", "--timeout", "3", "--kubeconfig", kubeconfig()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`[${objects.length}/${objects.length}] applied`);
    expect(result.stderr).toMatch(/Timed out after 3 s waiting for the rollout; not ready:/);
    expect(result.stderr).toContain(`Deployment ${namespace}/capstan-${uuid}-admission: 0/2 updated, 0/2 available`);
    expect(result.stderr).toContain(`Deployment ${namespace}/capstan-${uuid}-controller: 0/2 updated, 0/2 available`);
    for (const object of objects) {
      const live = await client.request<KubeObject & { metadata: { managedFields?: { manager: string }[] } }>({
        path: objectPath(object),
      });
      expect(live.metadata.managedFields?.some((field) => field.manager === "capstan")).toBe(true);
    }
  });

  it("applying again is a no-op, and capstan uuid lists the module", () => {
    expect(capstanResult(moduleDir, ["deploy", "--yes", "--no-wait", "--kubeconfig", kubeconfig()]).code).toBe(0);
    const listed = capstanResult(moduleDir, ["uuid", uuid, "--kubeconfig", kubeconfig()]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[1]).toMatch(
      new RegExp(`^${uuid}\\s+${namespace}\\s+admission,controller\\s+deploy test$`),
    );
    expect(capstanResult(moduleDir, ["uuid", "no-such-module", "--kubeconfig", kubeconfig()]).code).toBe(1);
  });
});
