import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LabelSelector } from "../admission/index.ts";
import { deleteWebhookConfigurations } from "../admission/index.ts";
import { ApiClient, ConflictError } from "../k8s/index.ts";
import { flavorOf, moduleNamespace, PeprModule } from "../model/index.ts";
import { localCredentials, type ModuleRuntime, startModuleRuntime } from "../runtime/index.ts";
import { installStoreCrd } from "../store/index.ts";
import { startControlPlane, stopControlPlane } from "./control-plane/control-plane.ts";
import { type ModuleUnderTest, moduleUnderTest, type TestTarget } from "./module-under-test.ts";

/** The label every namespace made by `TestCluster.namespace` carries; `runModule` confines webhooks to it by default. */
export const TEST_NAMESPACE_LABEL = "capstan.dev/test-kit";

export interface TestClusterOptions {
  /** Use the cluster of this kubeconfig instead of starting one (a cluster you keep running: `capstan cluster up`). */
  readonly kubeconfig?: string;
  /** Where a started control plane keeps its state. Default: a new temp folder. */
  readonly stateDir?: string;
  readonly onProgress?: (line: string) => void;
}

export interface TestCluster {
  readonly kubeconfig: string;
  /** A cluster-admin client. */
  readonly client: ApiClient;
  /** Whether `stop` stops a control plane this helper started. */
  readonly owned: boolean;
  /** Creates a namespace named `<prefix>-<random>`, labelled so modules run by `runModule` see it. */
  namespace(prefix?: string): Promise<string>;
  /** Deletes the namespaces it made, closes the client and stops the control plane it started; `namespace()` throws afterwards. */
  stop(): Promise<void>;
}

/** Starts the local control plane (etcd, kube-apiserver, kube-controller-manager), or connects to a running cluster. */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  let stateDir: string | undefined;
  let kubeconfig = options.kubeconfig;
  if (!kubeconfig) {
    stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "capstan-test-cluster-"));
    kubeconfig = (
      await startControlPlane({ stateDir, ...(options.onProgress ? { onProgress: options.onProgress } : {}) })
    ).kubeconfig;
  }
  const client = await ApiClient.fromKubeconfig({ kubeconfig });
  const made: string[] = [];
  let stopped = false;
  return {
    kubeconfig,
    client,
    owned: stateDir !== undefined,
    async namespace(prefix = "test") {
      if (stopped) throw new Error("TestCluster: namespace() after stop(): start another with startTestCluster()");
      const name = `${prefix}-${randomBytes(4).toString("hex")}`;
      await createNamespace(client, name, { [TEST_NAMESPACE_LABEL]: "true" });
      made.push(name);
      return name;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (stateDir === undefined) {
        for (const name of made.splice(0)) {
          await client.request({ method: "DELETE", path: `/api/v1/namespaces/${name}` }).catch(() => {});
        }
      }
      await client.close();
      if (stateDir !== undefined) await stopControlPlane(stateDir, { removeState: options.stateDir === undefined });
    },
  };
}

async function createNamespace(client: ApiClient, name: string, labels: Record<string, string> = {}): Promise<void> {
  try {
    await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name, labels } } });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}

export interface RunModuleOptions {
  /** Where the module's Store lives (created if missing). Default: the module's config namespace. */
  readonly namespace?: string;
  /** Address the API server calls the webhooks on. Default 127.0.0.1. */
  readonly host?: string;
  /** Webhook port. Default: a free one. */
  readonly port?: number;
  /**
   * Namespaces the webhooks see. Default: only those made by `TestCluster.namespace` (so a module
   * under test never intercepts anything else on a shared cluster); `{}` for every namespace.
   */
  readonly namespaceSelector?: LabelSelector;
}

export interface RunningModule {
  readonly runtime: ModuleRuntime;
  /** Stops serving and watching and removes the webhook configurations. */
  stop(): Promise<void>;
}

function asPeprModule(module: ModuleUnderTest): PeprModule {
  if (module instanceof PeprModule) return module;
  return new PeprModule({ [flavorOf(module.config)]: module.config }, [...module.capabilities], {
    ...module.options,
    deferStart: true,
  });
}

/**
 * Runs the module as `capstan dev` does (admission and controller in this process, webhooks
 * registered at https://host:port with a fresh certificate, the Store in `namespace`) against
 * the cluster. A capability's Store attaches once per process: run cluster tests in their own file.
 */
export async function runModule(
  cluster: TestCluster,
  target: TestTarget,
  options: RunModuleOptions = {},
): Promise<RunningModule> {
  const module = asPeprModule(moduleUnderTest(target));
  const host = options.host ?? "127.0.0.1";
  const namespace = options.namespace ?? moduleNamespace(module.config);
  await createNamespace(cluster.client, namespace);
  await installStoreCrd(cluster.client);
  const runtime = await startModuleRuntime({
    module,
    client: cluster.client,
    role: "dev",
    namespace,
    admission: {
      credentials: await localCredentials([host]),
      apiPath: randomBytes(32).toString("hex"),
      endpoint: (port) => ({ url: `https://${host.includes(":") ? `[${host}]` : host}:${port}` }),
      port: options.port ?? 0,
      host,
      configurationName: `capstan-test-${module.config.uuid}`,
      namespaceSelector: options.namespaceSelector ?? { matchLabels: { [TEST_NAMESPACE_LABEL]: "true" } },
    },
    controller: { leaseName: false },
  });
  return {
    runtime,
    async stop() {
      const name = runtime.admission?.configurationName;
      await runtime.close();
      if (name) await deleteWebhookConfigurations(cluster.client, name);
    },
  };
}

/**
 * Starts a cluster (or connects to `options.kubeconfig`), runs the module on it, hands both to
 * `test`, and tears everything down afterwards, also when `test` throws.
 */
export async function withModuleOnCluster<T>(
  target: TestTarget,
  test: (context: { cluster: TestCluster; module: RunningModule }) => Promise<T>,
  options: TestClusterOptions & RunModuleOptions = {},
): Promise<T> {
  const cluster = await startTestCluster(options);
  try {
    const module = await runModule(cluster, target, options);
    try {
      return await test({ cluster, module });
    } finally {
      await module.stop();
    }
  } finally {
    await cluster.stop();
  }
}

/** Retries `check` until it returns something other than undefined; fails with the last error after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new Error(`timed out waiting for ${options.what ?? "a condition"}${lastError ? `: ${String(lastError)}` : ""}`);
}
