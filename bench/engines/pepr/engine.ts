// Pepr 1.1.4 as a bench engine: the bench module bundled like `pepr build`, run by Pepr's own
// runtime as a host process (what the Deployments run, minus the image): PEPR_WATCH_MODE picks the
// admission server or the watch controller, TLS from SSL_KEY_PATH/SSL_CERT_PATH, the webhook path
// from PEPR_API_PATH. Webhooks are registered the way `pepr dev` registers them. See README.md.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyWebhookConfigurations, deleteWebhookConfigurations } from "../../../src/admission/registration.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { createCertificateAuthority } from "../../../src/tls/certificates.ts";
import moduleJson from "../../module/package.json" with { type: "json" };
import type { Engine, EngineStartOptions, RunningEngine, Scenario } from "../engine.ts";
import { benchPaths } from "../paths.ts";
import { runningEngine } from "../running-engine.ts";
import { bundleModule, bundlePeprAssets, installPepr } from "./build.ts";
import { deletePeprStores, installPeprClusterResources } from "./cluster.ts";
import { PEPR_VERSION, peprLayout } from "./layout.ts";
import { PEPR_DEV_HOST, peprWebhookConfigurations } from "./webhooks.ts";

const uuid = moduleJson.pepr.uuid;
/** Pepr names both webhook configurations, its Deployment and Service `pepr-<uuid>`. */
const CONFIGURATION = `pepr-${uuid}`;
/** `pepr dev` hands Pepr's Assets the package.json `pepr` block plus the package description. */
const moduleConfig = { ...moduleJson.pepr, description: moduleJson.description };

/** Pepr engines started by this harness and not yet stopped: the last one out clears the stores. */
let running = 0;
const clusterReady = new Map<string, Promise<void>>();

/**
 * The role Pepr's manifests would give a module with these bindings: only Watch bindings go to the
 * watcher Deployment (PEPR_WATCH_MODE=true); admission bindings, and a Store-only module, to the
 * admission Deployment.
 */
function watchMode(scenario: Scenario): boolean {
  return scenario === "watch";
}

/** The harness's environment minus anything that would switch Pepr's mode or files. */
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("PEPR_") && !key.startsWith("SSL_")),
  );
}

async function servingCertificate(dir: string): Promise<{ caCert: string; cert: string; key: string }> {
  const ca = await createCertificateAuthority({ commonName: "pepr-bench-ca" });
  const serving = await ca.issue({ commonName: PEPR_DEV_HOST, usage: "server", ipAddresses: [PEPR_DEV_HOST] });
  const files = { cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
  writeFileSync(files.cert, serving.cert);
  writeFileSync(files.key, serving.key, { mode: 0o600 });
  return { caCert: ca.cert, ...files };
}

async function start(options: EngineStartOptions): Promise<RunningEngine> {
  const client = await ApiClient.fromKubeconfig({ kubeconfig: options.kubeconfig });
  let setup = clusterReady.get(options.kubeconfig);
  if (!setup) {
    setup = installPeprClusterResources(client);
    clusterReady.set(options.kubeconfig, setup);
  }
  await setup;
  // A fresh PeprStore per run, as after `pepr dev` (which deletes it when its module exits).
  if (running === 0) await deletePeprStores(client, uuid);

  const dir = join(benchPaths.work, "pepr", `run-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const tls = await servingCertificate(dir);
  const watcher = watchMode(options.scenario);
  const apiPath = randomBytes(32).toString("hex");
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    KUBECONFIG: options.kubeconfig,
    LOG_LEVEL: "info",
    BENCH_NAMESPACE: options.namespace,
    BENCH_SCENARIO: options.scenario,
    ...options.env,
    PEPR_WATCH_MODE: String(watcher),
    ...(watcher ? {} : { PEPR_API_PATH: apiPath }),
    SSL_KEY_PATH: tls.key,
    SSL_CERT_PATH: tls.cert,
    BENCH_PEPR_PORT: String(options.port),
  };

  let registration: Promise<void> = Promise.resolve();
  let registered = false;
  let stopping = false;
  running++;
  const base = `https://127.0.0.1:${options.port}`;
  const engine = runningEngine({
    label: `pepr ${options.scenario}`,
    command: process.execPath,
    args: [peprLayout.moduleBundle],
    env,
    cwd: dir,
    logFile: join(dir, "engine.log"),
    mutateUrl: `${base}/mutate/${apiPath}`,
    validateUrl: `${base}/validate/${apiPath}`,
    healthUrl: `${base}/healthz`,
    caCert: tls.caCert,
    client,
    webhookConfigurations: [],
    cleanup: async () => {
      running--;
      await registration.catch(() => {});
      // Again after the process is gone, in case an apply was in flight when stop() began.
      if (options.registerWebhooks) await deleteWebhookConfigurations(client, CONFIGURATION);
      if (running === 0) await deletePeprStores(client, uuid);
    },
  });
  if (!options.registerWebhooks) return engine;

  // `pepr dev` registers before it starts the module. Here the configurations (a build-mode run of
  // the module to learn its bindings, then Pepr's generator) are made while the module starts, and
  // applied once it serves: Pepr's webhooks take Pod and ConfigMap creates in every namespace but
  // kube-system and pepr-system, with failurePolicy Fail, so an unserved window would fail others'.
  registration = (async () => {
    const configs = await peprWebhookConfigurations({
      bundle: peprLayout.moduleBundle,
      env,
      config: moduleConfig,
      name: CONFIGURATION,
      apiPath,
      caCert: tls.caCert,
      port: options.port,
    });
    await engine.ready();
    if (stopping) return;
    await applyWebhookConfigurations(client, configs);
    registered = true;
  })();
  registration.catch(() => {}); // reported by ready()
  return {
    ...engine,
    async ready(timeoutMs) {
      await engine.ready(timeoutMs);
      await registration;
    },
    async stop() {
      stopping = true;
      // Unregistered while Pepr still serves, for the same reason.
      if (registered) await deleteWebhookConfigurations(client, CONFIGURATION);
      await engine.stop();
    },
  };
}

export const peprEngine: Engine = {
  name: "pepr",
  version: PEPR_VERSION,
  async prepare() {
    installPepr();
    await bundleModule();
    await bundlePeprAssets();
  },
  start,
};
