import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";

import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { installPeprClusterResources } from "../../../bench/engines/pepr/cluster.ts";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import { deployModule } from "../../../src/build/deploy/deploy-module.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { containerOf, literalEnv, projectedChunkFiles } from "../../../src/build/pod-spec.ts";
import { apiPathFor } from "../../../src/build/webhooks.ts";
import { RUNTIME_ENTRY, RuntimeEnv } from "../../../src/contract/runtime-contract.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import { eventually } from "../../support/cluster.ts";
import { editPackageJson, removeScratchModule, type ScratchModule, scratchModule } from "../build/module-fixture.ts";
import { peprBuild } from "./migration-pepr.ts";

// A module Pepr 1.1.4 deployed, taken over by `capstan deploy`. The control plane has no kubelet and
// no kube-proxy, so this test plays them (fakeKubelet): each pod is a Pod object plus a host process
// (Pepr's module bundle under Pepr's runtime; capstan's generated container command), a process stops
// when its Pod object is deleted, and the Service's endpoints are the ready processes whose Pod
// matches its selector (the API server calls a webhook's Service at its endpoints,
// `--enable-aggregator-routing`). capstan's Deployments get their pods when applied.

const PEPR_NS = "pepr-system";

const capability = (namespace: string) => `
import { a, Capability, Log } from "pepr";

export const Migrate = new Capability({ name: "migrate", description: "migration test", namespaces: ["${namespace}"] });
const { When, Store } = Migrate;

When(a.ConfigMap).IsCreated().InNamespace("${namespace}").WithLabel("loop").Mutate((request) => {
  request.SetLabel("answered", "yes");
});
When(a.ConfigMap).IsCreated().InNamespace("${namespace}").WithLabel("loop").Validate((request) => request.Approve());
When(a.ConfigMap).IsCreated().InNamespace("${namespace}").WithLabel("ask").Mutate((request) => {
  const keys = (request.Raw.data?.keys ?? "").split(",").filter(Boolean);
  request.SetAnnotation("answers", JSON.stringify(keys.map((key) => Store.getItem(key))));
});
When(a.ConfigMap).IsCreated().InNamespace("${namespace}").WithLabel("remember").Watch(async (cm) => {
  Store.setItem(\`cm-\${cm.metadata?.name}\`, "seen");
});
When(a.ConfigMap).IsCreatedOrUpdated().InNamespace("${namespace}").WithLabel("finalize-me")
  .Watch(async () => {})
  .Finalize(async (cm) => {
    Log.info({ finalized: cm.metadata?.name }, "finalizing");
  });
`;

const peprEntry = `import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Migrate } from "./capabilities/migrate";

new PeprModule(cfg, [Migrate]);
`;

// Pepr's module constructor listens on 3000; two Pepr processes on one host need their own ports.
const peprHostEntry = `import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Migrate } from "./capabilities/migrate";

const module = new PeprModule(cfg, [Migrate], { deferStart: true });
if (process.env.PEPR_MODE !== "build") module.start(Number(process.env.HOST_PORT));
`;

interface Pod {
  readonly name: string;
  readonly port: number;
  readonly process: ChildProcess;
  output: string;
  ready: boolean;
}

const pods: Pod[] = [];
let module: ScratchModule | undefined;
let peprUuid = "";
let kubelet: Kubelet | undefined;

afterAll(async () => {
  await kubelet?.stop().catch(() => {});
  if (module) {
    for (const kind of ["mutating", "validating"]) {
      await module.client
        .request({
          method: "DELETE",
          path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/pepr-${peprUuid}`,
        })
        .catch(() => {});
    }
  }
  for (const pod of pods) pod.process.kill("SIGKILL");
  if (module) {
    const client = module.client;
    for (const path of [
      `/apis/apps/v1/namespaces/${PEPR_NS}/deployments/pepr-${peprUuid}`,
      `/apis/apps/v1/namespaces/${PEPR_NS}/deployments/pepr-${peprUuid}-watcher`,
      `/apis/pepr.dev/v1/namespaces/${PEPR_NS}/peprstores/pepr-${peprUuid}-store`,
    ]) {
      await client.request({ method: "DELETE", path }).catch(() => {});
    }
    const objects = module.objects.filter((object) => object.metadata.namespace === PEPR_NS);
    for (const object of objects) await client.request({ method: "DELETE", path: objectPath(object) }).catch(() => {});
    await removeScratchModule(module);
    await client.close();
  }
});

/** A non-loopback IPv4 address of this host: Endpoints refuse loopback addresses. */
function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === "IPv4" && !address.internal) return address.address;
  }
  throw new Error("This host has no non-loopback IPv4 address for the Service's Endpoints");
}

describe("capstan deploy over a running Pepr 1.1.4 deployment", () => {
  it("takes over with no failed admission request, every Store key, the finalizer handled and no Pepr webhook left", async () => {
    const host = hostAddress();
    let watched = "";
    module = await scratchModule("migrate", {
      beforeBuild: (dir) => {
        rmSync(join(dir, "capstan.ts"), { force: true });
        // The install route: the module's "pepr" dependency is capstan's package.
        symlinkSync(join(dir, "node_modules", "capstan"), join(dir, "node_modules", "pepr"));
        rmSync(join(dir, "capabilities"), { recursive: true, force: true });
        mkdirSync(join(dir, "capabilities"));
        editPackageJson(dir, (pkg) => {
          const own = pkg.capstan as { uuid: string; namespace: string };
          watched = own.namespace;
          delete pkg.capstan;
          pkg.pepr = {
            uuid: own.uuid,
            onError: "reject",
            webhookTimeout: 10,
            customLabels: { namespace: { "pepr.dev": "" } },
            alwaysIgnore: { namespaces: [] },
            includedFiles: [],
            env: {},
            peprVersion: "1.1.4",
            appVersion: "0.0.1",
          };
        });
        writeFileSync(join(dir, "capabilities", "migrate.ts"), capability(watched));
        writeFileSync(join(dir, "pepr.ts"), peprEntry);
        writeFileSync(join(dir, "pepr-host.ts"), peprHostEntry);
      },
    });
    const { client, moduleDir, uuid } = module;
    peprUuid = uuid;
    const name = `pepr-${uuid}`;
    const pkg = JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8")) as {
      pepr: Record<string, unknown>;
      description?: string;
    };

    // Pepr's build and deploy: its manifests applied as Pepr's deploy applies them (server-side, `pepr`, forced).
    const pepr = await peprBuild(
      moduleDir,
      "pepr-host.ts",
      { ...pkg.pepr, description: pkg.description ?? "" },
      { ...process.env, HOST_PORT: "0" },
    );
    await installPeprClusterResources(client);
    const peprObjects = parseAllDocuments(pepr.yaml)
      .map((document) => document.toJS() as KubeObject | null)
      .filter((object): object is KubeObject => object !== null);
    expect(peprObjects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(
      [
        "ClusterRole/",
        "ClusterRoleBinding/",
        "Deployment/",
        "Deployment/-watcher",
        "MutatingWebhookConfiguration/",
        "Namespace/pepr-system",
        "Role/-store",
        "RoleBinding/-store",
        "Secret/-api-path",
        "Secret/-module",
        "Secret/-tls",
        "Service/",
        "Service/-watcher",
        "ServiceAccount/",
        "ValidatingWebhookConfiguration/",
      ]
        .map((entry) => (entry.startsWith("Namespace") ? entry : entry.replace("/", `/${name}`)))
        .sort(),
    );
    const peprWebhooks = peprObjects.filter((object) => object.kind.endsWith("WebhookConfiguration"));
    await applyAll(
      client,
      peprObjects.filter((object) => !peprWebhooks.includes(object)),
      { fieldManager: "pepr", force: true },
    );

    const kubeconfig = await serviceAccountKubeconfig(client, name, join(moduleDir, ".pods", "kubeconfig"));
    const tls = await client.request<{ data: Record<string, string> }>({
      path: `/api/v1/namespaces/${PEPR_NS}/secrets/${name}-tls`,
    });
    const certs = join(moduleDir, ".pods", "pepr-certs");
    mkdirSync(certs, { recursive: true });
    for (const file of ["tls.crt", "tls.key"]) {
      writeFileSync(join(certs, file), Buffer.from(tls.data[file] as string, "base64"));
    }
    const peprDeployments = peprObjects.filter((object) => object.kind === "Deployment");
    const peprPod = async (deployment: KubeObject): Promise<Pod> => {
      const port = await freePort();
      const env = {
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PEPR_|SSL_|CAPSTAN_)/.test(key))),
        ...literalEnv(deployment),
        KUBECONFIG: kubeconfig,
        PEPR_API_PATH: pepr.apiPath,
        SSL_KEY_PATH: join(certs, "tls.key"),
        SSL_CERT_PATH: join(certs, "tls.crt"),
        HOST_PORT: String(port),
      };
      return startProcess(`${deployment.metadata.name}-pepr`, pepr.bundle, [], env, moduleDir, port);
    };
    kubelet = fakeKubelet(client, { host, admission: name, moduleDir, kubeconfig, objects: module.objects });
    const peprAdmission = await kubelet.run(peprDeployments.find((d) => d.metadata.name === name) as KubeObject, () =>
      peprPod(peprDeployments.find((d) => d.metadata.name === name) as KubeObject),
    );
    const peprWatcher = await kubelet.run(
      peprDeployments.find((d) => d.metadata.name === `${name}-watcher`) as KubeObject,
      () => peprPod(peprDeployments.find((d) => d.metadata.name === `${name}-watcher`) as KubeObject),
    );
    await eventually(() => probe("https", peprAdmission.port, "/healthz"), {
      what: `Pepr's admission server:\n${peprAdmission.output}`,
      timeoutMs: 60_000,
    });
    peprAdmission.ready = true;
    peprWatcher.ready = true;
    for (const deployment of peprDeployments) await reportRolledOut(client, deployment);
    await applyAll(client, peprWebhooks, { fieldManager: "pepr", force: true });

    // Under Pepr: admission answers through the API server, the watcher fills the PeprStore, and
    // Pepr's admission puts its finalizer on a `finalize-me` ConfigMap.
    const configMaps = `/api/v1/namespaces/${watched}/configmaps`;
    const loopRequest = async (): Promise<void> => {
      const created = await client.request<{ metadata: { labels?: Record<string, string> } }>({
        method: "POST",
        path: configMaps,
        query: { dryRun: "All" },
        body: { metadata: { generateName: "loop-", labels: { loop: "yes" } } },
      });
      if (created.metadata.labels?.answered !== "yes") throw new Error("the ConfigMap came back unmutated");
    };
    await eventually(() => loopRequest().then(() => true), { what: "Pepr's webhook through the API server" });
    const remembered = ["remember-0", "remember-1", "remember-2"];
    for (const cm of remembered) {
      await client.request({
        method: "POST",
        path: configMaps,
        body: { metadata: { name: cm, labels: { remember: "yes" } } },
      });
    }
    const keys = remembered.map((cm) => `cm-${cm}`);
    const ask = async (): Promise<(string | null)[]> => {
      const cm = await client.request<{ metadata: { annotations?: Record<string, string> } }>({
        method: "POST",
        path: configMaps,
        query: { dryRun: "All" },
        body: { metadata: { generateName: "ask-", labels: { ask: "yes" } }, data: { keys: keys.join(",") } },
      });
      return JSON.parse(cm.metadata.annotations?.answers ?? "[]") as (string | null)[];
    };
    await eventually(async () => ((await ask()).every((value) => value === "seen") ? true : undefined), {
      what: `Pepr's Store to hold every key:\n${peprWatcher.output.slice(-2000)}`,
      timeoutMs: 60_000,
    });
    const peprStore = await client.request<{ data?: Record<string, string> }>({
      path: `/apis/pepr.dev/v1/namespaces/${PEPR_NS}/peprstores/${name}-store`,
    });
    expect(Object.keys(peprStore.data ?? {}).filter((key) => key.includes("cm-remember-"))).toHaveLength(3);
    const finalized = await client.request<{ metadata: { finalizers?: string[] } }>({
      method: "POST",
      path: configMaps,
      body: { metadata: { name: "finalize-me", labels: { "finalize-me": "yes" } } },
    });
    expect(finalized.metadata.finalizers).toContain("pepr.dev/finalizer");

    // The request loop runs from before the deploy until after Pepr's leftovers are gone.
    const loop = { sent: 0, failed: 0, errors: [] as string[], running: true };
    const loopers = [0, 1].map(async () => {
      while (loop.running) {
        loop.sent++;
        await loopRequest().catch((error: Error) => {
          loop.failed++;
          if (loop.errors.length < 5) loop.errors.push(`${new Date().toISOString()} ${error.message}`);
        });
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const started = performance.now();
    const logs: string[] = [];
    const result = await deployModule(client, module.objects, {
      timeoutMs: 180_000,
      rolloutIntervalMs: 250,
      log: (line) => logs.push(line),
    });
    const switchSeconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    loop.running = false;
    await Promise.all(loopers);
    await kubelet.stop();
    console.log(
      `migration: ${loop.sent} admission requests during the switch, ${loop.failed} failed; switch took ${switchSeconds.toFixed(1)} s`,
    );
    const podLogs = () => pods.map((pod) => `--- ${pod.name}\n${pod.output.slice(-3000)}`).join("\n");
    expect(loop.errors, `${podLogs()}\n${logs.join("\n")}`).toEqual([]);
    expect(loop.failed).toBe(0);
    expect(loop.sent).toBeGreaterThan(20);
    expect(result.tookOverPepr).toBe(true);

    // No Pepr webhook left: both configurations are capstan's (its path, its CA in the bundle).
    for (const kind of ["mutating", "validating"]) {
      const config = await client.request<{
        webhooks: { clientConfig: { service?: { path?: string }; caBundle?: string } }[];
      }>({ path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}` });
      for (const webhook of config.webhooks) {
        expect(webhook.clientConfig.service?.path).toMatch(new RegExp(`/${apiPathFor(uuid)}$`));
        expect(webhook.clientConfig.caBundle).toBeTruthy();
      }
    }
    const tlsSecret = await client.request<{ data: Record<string, string> }>({
      path: `/api/v1/namespaces/${PEPR_NS}/secrets/${name}-tls`,
    });
    expect(Object.keys(tlsSecret.data), "capstan's runtime took over Pepr's TLS Secret").toEqual(
      expect.arrayContaining(["ca.crt", "ca.key", "tls.crt", "tls.key", "ca-bundle.crt"]),
    );
    for (const leftover of ["api-path", "module"]) {
      await expect(
        client.request({ path: `/api/v1/namespaces/${PEPR_NS}/secrets/${name}-${leftover}` }),
      ).rejects.toBeInstanceOf(NotFoundError);
    }
    expect(result.deletedLeftovers).toEqual(
      expect.arrayContaining([`Secret ${PEPR_NS}/${name}-api-path`, `Secret ${PEPR_NS}/${name}-module`]),
    );
    expect(
      pods
        .filter((pod) => pod.name.includes("-pepr "))
        .every((pod) => pod.process.exitCode !== null || pod.process.killed),
    ).toBe(true);

    // Every Store key, seen by capstan's admission pods; Pepr's finalizer handled by capstan's controller.
    expect(await ask()).toEqual(["seen", "seen", "seen"]);
    await client.request({ method: "DELETE", path: `${configMaps}/finalize-me` });
    await eventually(
      () =>
        client
          .request({ path: `${configMaps}/finalize-me` })
          .then(() => undefined)
          .catch((error: unknown) => (error instanceof NotFoundError ? true : undefined)),
      { what: `the controller to finalize finalize-me:\n${podLogs()}`, timeoutMs: 30_000 },
    );
  });
});

interface KubeletOptions {
  readonly host: string;
  /** The admission Deployment and Service name (`pepr-<uuid>`). */
  readonly admission: string;
  readonly moduleDir: string;
  readonly kubeconfig: string;
  readonly objects: readonly KubeObject[];
}

interface Kubelet {
  /** Creates a Pod object for the Deployment's template and runs `start` as its process. */
  run(deployment: KubeObject, start: () => Promise<Pod>): Promise<Pod>;
  stop(): Promise<void>;
}

interface LivePod {
  metadata: { name: string; labels?: Record<string, string> };
}

/**
 * Plays the kubelet, the Deployment's rollout and the endpoints controller: a Pod object per
 * process (labels from the Deployment's template); a process stops (SIGTERM) once its Pod object
 * is deleted; capstan's Deployments get their pods when applied and report the rollout once they
 * are ready; the admission Service's endpoints are the ready processes whose Pod matches its selector.
 */
function fakeKubelet(client: ApiClient, options: KubeletOptions): Kubelet {
  const pods = `/api/v1/namespaces/${PEPR_NS}/pods`;
  const running = new Map<string, Pod>();
  const handled = new Set<string>();
  let stopped = false;
  let published = "";
  const run = async (deployment: KubeObject, start: () => Promise<Pod>, suffix = "pepr"): Promise<Pod> => {
    const template = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
    const podName = `${deployment.metadata.name}-${suffix}`;
    await client.request({
      method: "POST",
      path: pods,
      body: {
        metadata: { name: podName, labels: template.metadata.labels },
        spec: { containers: [{ name: "process", image: "host-process" }] },
      },
    });
    const pod = await start();
    running.set(podName, pod);
    return pod;
  };
  const tick = async () => {
    const live = await client.request<{ items: LivePod[] }>({ path: pods });
    const byName = new Map(live.items.map((pod) => [pod.metadata.name, pod]));
    for (const [podName, pod] of running) {
      if (byName.has(podName)) continue;
      console.log(`${new Date().toISOString()} Pod ${podName} deleted: stopping ${pod.name}`);
      pod.process.kill("SIGTERM");
      running.delete(podName);
    }
    for (const deploymentName of [options.admission, `${options.admission}-watcher`]) {
      const deployment = await client
        .request<KubeObject & { metadata: { generation?: number } }>({
          path: `/apis/apps/v1/namespaces/${PEPR_NS}/deployments/${deploymentName}`,
        })
        .catch(() => undefined);
      if (!deployment) continue;
      const env = literalEnv(deployment);
      const key = `${deploymentName}@${deployment.metadata.generation}`;
      if (!env[RuntimeEnv.role] || handled.has(key)) continue;
      handled.add(key);
      const replicas = (deployment.spec as { replicas?: number }).replicas ?? 1;
      const admission = env[RuntimeEnv.role] === "admission";
      for (let replica = 0; replica < replicas; replica++) {
        const pod = await run(
          deployment,
          () => capstanPod(deployment, replica, options),
          `g${key.split("@")[1]}-${replica}`,
        );
        await eventually(() => probe(admission ? "https" : "http", pod.port, "/readyz"), {
          what: `${pod.name} readiness:\n${pod.output.slice(-3000)}`,
          timeoutMs: 90_000,
        });
        pod.ready = true;
      }
      await reportRolledOut(client, deployment);
    }
    const service = await client.request<{ spec: { selector: Record<string, string> } }>({
      path: `/api/v1/namespaces/${PEPR_NS}/services/${options.admission}`,
    });
    const ports = [...running]
      .filter(([podName, pod]) => {
        const labels = byName.get(podName)?.metadata.labels ?? {};
        return pod.ready && Object.entries(service.spec.selector).every(([k, v]) => labels[k] === v);
      })
      .map(([podName, pod]) => ({ podName, port: pod.port }))
      .sort((a, b) => a.port - b.port);
    const key = ports.map((entry) => entry.port).join(",");
    if (key !== published) {
      await publishEndpoints(client, options.admission, options.host, ports);
      published = key;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await tick();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  loop.catch(() => {}); // reported by stop()
  return {
    run,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function capstanPod(deployment: KubeObject, replica: number, options: KubeletOptions): Promise<Pod> {
  const name = `${deployment.metadata.name}-${replica}`;
  const chunks = join(options.moduleDir, ".pods", name, "chunks");
  mkdirSync(chunks, { recursive: true });
  for (const [file, bytes] of projectedChunkFiles(deployment, options.objects))
    writeFileSync(join(chunks, file), bytes);
  const [, ...nodeArgs] = containerOf(deployment).command;
  const installedEntry = join(options.moduleDir, "node_modules", "capstan", "dist", "runtime", "main.js");
  const args = nodeArgs.map((arg) => (arg === RUNTIME_ENTRY ? installedEntry : arg));
  const port = await freePort();
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PEPR_|SSL_|CAPSTAN_)/.test(key))),
    ...literalEnv(deployment),
    KUBECONFIG: options.kubeconfig,
    [RuntimeEnv.podName]: name,
    [RuntimeEnv.moduleDir]: chunks,
    [RuntimeEnv.moduleWorkDir]: join(options.moduleDir, ".pods", name, "module"),
    [RuntimeEnv.servePort]: String(port),
  };
  const [first, ...rest] = args;
  return startProcess(name, first as string, rest, env, options.moduleDir, port);
}

function startProcess(
  name: string,
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  port: number,
): Pod {
  const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const pod: Pod = { name: `${name} (port ${port})`, port, process: child, output: "", ready: false };
  child.stdout?.on("data", (chunk: Buffer) => (pod.output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (pod.output += chunk.toString()));
  pods.push(pod);
  return pod;
}

/** What the endpoints controller would write for the Service's ready pods (all on this host). */
async function publishEndpoints(
  client: ApiClient,
  service: string,
  host: string,
  entries: readonly { podName: string; port: number }[],
) {
  const ports = entries.map((entry) => entry.port);
  const live = await client.request<{ spec: { ports: { name?: string }[] } }>({
    path: `/api/v1/namespaces/${PEPR_NS}/services/${service}`,
  });
  const portName = live.spec.ports[0]?.name;
  await client.request({
    method: "PATCH",
    path: `/api/v1/namespaces/${PEPR_NS}/endpoints/${service}`,
    query: { fieldManager: "fake-endpoints-controller", force: true },
    contentType: "application/apply-patch+yaml",
    body: {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: service, namespace: PEPR_NS },
      subsets: ports.map((port) => ({
        addresses: [{ ip: host }],
        ports: [{ ...(portName ? { name: portName } : {}), port, protocol: "TCP" }],
      })),
    },
  });
  // The API server reads EndpointSlices: one per port, as each process listens on its own.
  const slices = `/apis/discovery.k8s.io/v1/namespaces/${PEPR_NS}/endpointslices`;
  const labels = { "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "fake-kubelet" };
  for (const { port, podName } of entries) {
    await client.request({
      method: "PATCH",
      path: `${slices}/${service}-${port}`,
      query: { fieldManager: "fake-endpoints-controller", force: true },
      contentType: "application/apply-patch+yaml",
      body: {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: `${service}-${port}`, namespace: PEPR_NS, labels },
        addressType: "IPv4",
        endpoints: [
          {
            addresses: [host],
            conditions: { ready: true, serving: true, terminating: false },
            targetRef: { kind: "Pod", namespace: PEPR_NS, name: podName },
          },
        ],
        ports: [{ name: portName ?? "", port, protocol: "TCP" }],
      },
    });
  }
  const existing = await client.request<{ items: { metadata: { name: string } }[] }>({
    path: slices,
    query: { labelSelector: `kubernetes.io/service-name=${service}` },
  });
  for (const slice of existing.items) {
    if (ports.some((port) => slice.metadata.name === `${service}-${port}`)) continue;
    await client.request({ method: "DELETE", path: `${slices}/${slice.metadata.name}` });
  }
}

async function reportRolledOut(client: ApiClient, deployment: KubeObject): Promise<void> {
  const path = `${objectPath(deployment)}/status`;
  const live = await client.request<{ metadata: { generation?: number }; spec: { replicas?: number } }>({
    path: objectPath(deployment),
  });
  const replicas = live.spec.replicas ?? 1;
  await client.request({
    method: "PATCH",
    path,
    contentType: "application/merge-patch+json",
    body: {
      status: {
        observedGeneration: live.metadata.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      },
    },
  });
}

async function serviceAccountKubeconfig(client: ApiClient, serviceAccount: string, file: string): Promise<string> {
  const token = await client.request<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${PEPR_NS}/serviceaccounts/${serviceAccount}/token`,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  });
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "sa",
      clusters: [
        {
          name: "c",
          cluster: {
            server: client.connection.server,
            "certificate-authority-data": Buffer.from(String(client.connection.tls.ca)).toString("base64"),
          },
        },
      ],
      users: [{ name: "sa", user: { token: token.status.token } }],
      contexts: [{ name: "sa", context: { cluster: "c", user: "sa" } }],
    }),
  );
  return file;
}

function probe(scheme: "http" | "https", port: number, path: string): Promise<true | undefined> {
  return new Promise((resolve) => {
    const send = scheme === "https" ? httpsRequest : httpRequest;
    const req = send({ host: "127.0.0.1", port, path, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? true : undefined);
    });
    req.once("error", () => resolve(undefined));
    req.end();
  });
}
