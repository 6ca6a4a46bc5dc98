import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifests } from "../../../src/build/deploy/apply.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { findManifest } from "../../../src/cli/commands/deploy.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { ensureBinaries } from "../../../src/testing/control-plane/binaries.ts";
import { startControlPlane, stopControlPlane } from "../../../src/testing/control-plane/control-plane.ts";
import { type ManagedProcess, startProcess, stopPid } from "../../../src/testing/control-plane/processes.ts";
import { eventually } from "../../support/cluster.ts";
import { capstanFromCheckout, capstanInstalled, installCapstan, packCapstan } from "./module-fixture.ts";

// A control plane of its own, with the deployment and ReplicaSet controllers the
// shared one lacks (they would act on every other test's Deployments): a Deployment gets its
// ReplicaSet and Pods, which stay Pending, since the cluster has no node. Where a test needs a
// healthy install, it marks the Pods ready as a kubelet would (status only).

const uuid = `fail-${Math.random().toString(16).slice(2, 8)}`;
const namespace = "capstan-system";
const matched = "hello-capstan"; // the template capability's namespace: its webhooks match ConfigMaps there
let stateDir: string;
let work: string;
let moduleDir: string;
let kubeconfig: string;
let controllers: ManagedProcess | undefined;
let client: ApiClient;

function capstan(args: readonly string[], cwd = moduleDir): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(moduleDir, "node_modules/capstan/bin/capstan.js"), ...args], {
    cwd,
    encoding: "utf8",
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const manifest = (): KubeObject[] => parseManifests(readFileSync(findManifest(join(moduleDir, "dist")), "utf8"));

async function present(object: KubeObject): Promise<boolean> {
  try {
    await client.request({ path: objectPath(object) });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
}

/**
 * What a kubelet reports for started, ready Pods (status only: nothing runs), and the EndpointSlice
 * the endpoint controller would then publish for the admission Service (its controller skips Pods on
 * nodes that do not exist, and this cluster has none).
 */
async function markPodsReady(count: number): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/pods`;
  const pods = await eventually(
    async () => {
      const list = await client.request<{ items: Pod[] }>({
        path,
        query: { labelSelector: `capstan.dev/uuid=${uuid}` },
      });
      return list.items.length >= count ? list.items : undefined;
    },
    { what: `${count} Pods of the module`, timeoutMs: 60_000 },
  );
  const now = new Date().toISOString();
  const addresses: string[] = [];
  for (const [index, pod] of pods.entries()) {
    const ip = `10.1.0.${index + 10}`;
    if (pod.metadata.labels?.["app.kubernetes.io/component"] === "admission") addresses.push(ip);
    await client.request({
      method: "PATCH",
      path: `${path}/${pod.metadata.name}/status`,
      contentType: "application/merge-patch+json",
      body: {
        status: {
          phase: "Running",
          podIP: ip,
          podIPs: [{ ip }],
          conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({
            type,
            status: "True",
            lastTransitionTime: now,
          })),
        },
      },
    });
  }
  const serviceName = `capstan-${uuid}-admission`;
  const service = await client.request<{ metadata: { uid: string } }>({
    path: `/api/v1/namespaces/${namespace}/services/${serviceName}`,
  });
  await client.request({
    method: "POST",
    path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    body: {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${serviceName}-test`,
        labels: { "kubernetes.io/service-name": serviceName, "endpointslice.kubernetes.io/managed-by": "capstan-test" },
        ownerReferences: [{ apiVersion: "v1", kind: "Service", name: serviceName, uid: service.metadata.uid }],
      },
      addressType: "IPv4",
      ports: [{ name: "https", port: 3000, protocol: "TCP" }],
      endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
    },
  });
}

interface LiveDeployment {
  spec: { template: { spec: { containers: { image: string }[] } } };
  status?: { availableReplicas?: number };
}

const admission = `/apis/apps/v1/namespaces/${namespace}/deployments/capstan-${uuid}-admission`;
const webhookPaths = ["mutating", "validating"].map(
  (kind) => `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/capstan-${uuid}`,
);

async function webhooksPresent(): Promise<boolean[]> {
  return Promise.all(
    webhookPaths.map((path) =>
      client.request({ path }).then(
        () => true,
        (error) => {
          if (error instanceof NotFoundError) return false;
          throw error;
        },
      ),
    ),
  );
}

/** Creates a ConfigMap and a Pod in the namespace the module's webhooks match; returns the errors. */
async function admitsRequests(): Promise<string[]> {
  const errors: string[] = [];
  const suffix = Math.random().toString(16).slice(2, 8);
  const create = (path: string, body: unknown) =>
    client.request({ method: "POST", path, body }).catch((error: Error) => errors.push(error.message));
  await create(`/api/v1/namespaces/${matched}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `probe-${suffix}` },
    data: { greeting: "hello" },
  });
  await create(`/api/v1/namespaces/${matched}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `probe-${suffix}` },
    spec: { containers: [{ name: "main", image: "registry.invalid/none:1" }] },
  });
  return errors;
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "capstan-deploy-failure-cluster-"));
  const state = await startControlPlane({ stateDir, controllerManager: false });
  kubeconfig = state.kubeconfig;
  const binaries = await ensureBinaries();
  controllers = startProcess({
    name: "kube-controller-manager",
    command: binaries.kubeControllerManager,
    args: [
      `--kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      "--secure-port=0",
      "--controllers=deployment-controller,replicaset-controller,garbage-collector-controller,namespace-controller",
    ],
    logFile: join(stateDir, "logs", "deploy-controllers.log"),
    detached: false,
  });
  client = await ApiClient.fromKubeconfig({ kubeconfig });
  await client.request({
    method: "POST",
    path: "/api/v1/namespaces",
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: matched } },
  });
  work = mkdtempSync(join(tmpdir(), "capstan-deploy-failure-"));
  capstanFromCheckout(["init", "--yes", "--skip-install", "--name", "fail-module", "--uuid", uuid], work);
  moduleDir = join(work, "fail-module");
  installCapstan(moduleDir, packCapstan(work));
  capstanInstalled(moduleDir, ["build", "--no-typecheck", "--no-image-check"]);
}, 600_000);

afterAll(async () => {
  await client?.close();
  if (controllers) await stopPid(controllers.pid, 5_000);
  if (stateDir) await stopControlPlane(stateDir, { removeState: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a deploy whose pods never become ready", () => {
  const firstImage = () =>
    (manifest().find((object) => object.kind === "Deployment") as unknown as LiveDeployment).spec.template.spec
      .containers[0]?.image;
  let v1Image: string | undefined;

  it("over a healthy install: rolls the Deployments back and the previous webhooks keep serving", async () => {
    v1Image = firstImage();
    expect(capstan(["deploy", "--yes", "--no-wait", "--kubeconfig", kubeconfig]).code).toBe(0);
    await markPodsReady(4); // 2 admission + 2 controller
    await eventually(
      async () =>
        (await client.request<LiveDeployment>({ path: admission })).status?.availableReplicas === 2 ? true : undefined,
      { what: "the first version available", timeoutMs: 60_000 },
    );
    const ready = capstan(["uuid", uuid, "--kubeconfig", kubeconfig]);
    expect(ready.stdout.split("\n")[1]).toMatch(/\syes\s+admission 2\/2, controller 2\/2\s+mutating,validating(\s|$)/);

    capstanInstalled(moduleDir, [
      "build",
      "--no-typecheck",
      "--no-image-check",
      "--image",
      "registry.invalid/runtime:v2",
    ]);
    const result = capstan(["deploy", "--yes", "--timeout", "15", "--kubeconfig", kubeconfig]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Timed out after 15 s waiting for the rollout; not ready:");
    expect(result.stderr).toContain("unschedulable: the cluster has no nodes");
    expect(result.stderr).toContain(
      `rolled Deployment ${namespace}/capstan-${uuid}-admission back to its previous version`,
    );
    expect(result.stderr).toContain(
      `kept ValidatingWebhookConfiguration capstan-${uuid}: the previous version's pods still serve it`,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const live = await client.request<LiveDeployment>({ path: admission });
    expect(live.spec.template.spec.containers[0]?.image).toBe(v1Image);
    expect(await webhooksPresent()).toEqual([true, true]);
  });

  it("undeploy removes every object deploy and the runtime made, and says so when run again", async () => {
    const made = [
      ...manifest().filter((object) => object.kind !== "Namespace" && object.kind !== "CustomResourceDefinition"),
      // What the running module makes for itself: its certificate Secret and its leader Lease.
      { apiVersion: "v1", kind: "Secret", metadata: { name: `capstan-${uuid}-tls`, namespace } },
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: `capstan-${uuid}-controller`, namespace },
      },
    ] as KubeObject[];
    for (const object of made.slice(-2)) {
      await client.request({ method: "POST", path: objectPath(object).replace(/\/[^/]+$/, ""), body: object });
    }
    const before = await Promise.all(made.map(present));
    expect(made.filter((_, index) => !before[index]).map((object) => objectPath(object))).toEqual([]);

    const result = capstan(["undeploy", uuid, "--yes", "--kubeconfig", kubeconfig]);
    expect(result.code).toBe(0);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("capstan: deleted "));
    expect(lines[0]).toMatch(/WebhookConfiguration/);
    expect(lines[1]).toMatch(/WebhookConfiguration/);
    const after = await Promise.all(made.map(present));
    expect(made.filter((_, index) => after[index]).map((object) => objectPath(object))).toEqual([]);
    expect(await present({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } as KubeObject)).toBe(
      true,
    );
    expect(result.stderr).toContain(`kept namespace ${namespace}`);
    // The ReplicaSets and Pods go with their Deployments (garbage collection).
    await eventually(
      async () => {
        const pods = await client.request<{ items: unknown[] }>({
          path: `/api/v1/namespaces/${namespace}/pods`,
          query: { labelSelector: `capstan.dev/uuid=${uuid}` },
        });
        return pods.items.length === 0 ? true : undefined;
      },
      { what: "the module's Pods gone", timeoutMs: 60_000 },
    );

    const again = capstan(["undeploy", uuid, "--yes", "--kubeconfig", kubeconfig]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`nothing of module ${uuid} is deployed`);
  });

  it("on a first install: leaves no webhook configuration, the namespace admits requests, the report says why", async () => {
    // A --no-wait deploy applies the webhooks at once (and warns): with no pod serving them, requests are refused.
    const noWait = capstan(["deploy", "--yes", "--no-wait", "--kubeconfig", kubeconfig]);
    expect(noWait.code).toBe(0);
    expect(noWait.stderr).toContain("warning: --no-wait applies the webhook configurations now");
    expect(await webhooksPresent()).toEqual([true, true]);
    // The webhooks match ConfigMaps there: the ConfigMap is refused, the Pod is not.
    const refused = await eventually(
      async () => {
        const errors = await admitsRequests();
        return errors.length === 1 ? errors : undefined;
      },
      { what: "the unserved webhooks refusing the ConfigMap" },
    );
    expect(refused[0]).toMatch(/webhook/i);

    const result = capstan(["deploy", "--yes", "--timeout", "15", "--kubeconfig", kubeconfig]);
    expect(result.code).toBe(1);
    const report = result.stderr;
    expect(report).toMatch(
      new RegExp(`Deployment ${namespace}/capstan-${uuid}-admission: \\d/2 updated, 0/2 available`),
    );
    expect(report).toMatch(/ReplicaSet capstan-[a-z0-9-]+-admission-[a-z0-9]+: 2 Pods, 0 ready/);
    expect(report).toContain("2 Pods: unschedulable: the cluster has no nodes");
    expect(report).toContain(`removed MutatingWebhookConfiguration capstan-${uuid}: no ready pod serves it`);
    expect(report).toContain("capstan undeploy");
    expect(report).not.toMatch(/^\s+at /m);
    expect(await webhooksPresent()).toEqual([false, false]);
    expect(await admitsRequests()).toEqual([]);
  });

  it("uuid shows the module as not ready", () => {
    const listed = capstan(["uuid", uuid, "--kubeconfig", kubeconfig]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[0]).toMatch(/^UUID\s+NAMESPACE\s+READY\s+PODS\s+WEBHOOKS\s+DESCRIPTION$/);
    expect(listed.stdout.split("\n")[1]).toMatch(
      new RegExp(`^${uuid}\\s+${namespace}\\s+no\\s+admission 0/2, controller 0/2\\s+none\\b`),
    );
    expect(listed.stderr).toContain(`${uuid} is not ready: admission 0/2 pods available`);
    expect(listed.stderr).toContain("no webhook configuration");
  });

  it("undeploy --purge from the module folder also removes the namespace", async () => {
    const result = capstan(["remove", "--yes", "--purge", "--kubeconfig", kubeconfig]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`deleted namespace ${namespace}`);
    await eventually(
      async () =>
        (await present({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } as KubeObject))
          ? undefined
          : true,
      { what: "the module's namespace gone", timeoutMs: 90_000 },
    );
  });
});
