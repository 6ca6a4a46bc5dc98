// One compat module under Pepr 1.1.4 on the host: the bundle started by Pepr's own runtime with
// PEPR_MODE=dev as `pepr dev` runs it (admission server, watches and schedules in one process),
// with what Pepr's build output gives a deployed module: the Deployments' environment (`pepr.env`
// included) and webhook configurations from Pepr's generator with the module's webhookTimeout,
// pointed at 127.0.0.1 and a serving certificate for it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installPeprClusterResources } from "../../../bench/engines/pepr/cluster.ts";
import { PEPR_DEV_HOST, peprWebhookConfigurations } from "../../../bench/engines/pepr/webhooks.ts";
import { httpsStatus } from "../../../bench/engines/running-engine.ts";
import { applyWebhookConfigurations, deleteWebhookConfigurations } from "../../../src/admission/registration.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { createCertificateAuthority } from "../../../src/tls/certificates.ts";
import { bundleCompatModule, modulePackage, PORT_VARIABLE } from "./bundle.ts";

export interface PeprRun {
  /** Every line Pepr's process printed so far (pino's JSON lines on stdout, anything on stderr). */
  lines(): string[];
  /** Resolves once /healthz answers and the webhook configurations are registered. */
  ready(timeoutMs?: number): Promise<void>;
  /** Unregisters the webhooks, then SIGTERM (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export interface PeprRunOptions {
  readonly name: string;
  readonly kubeconfig: string;
  readonly client: ApiClient;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** The harness's environment minus anything that would switch Pepr's mode or files. */
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("PEPR_") && !key.startsWith("SSL_")),
  );
}

const clusterReady = new Map<string, Promise<void>>();

/** The pepr-system namespace and Pepr's own PeprStore CRD (once per control plane): a module's setup may write PeprStores. */
export function peprClusterResources(client: ApiClient, kubeconfig: string): Promise<void> {
  let setup = clusterReady.get(kubeconfig);
  if (!setup) {
    setup = installPeprClusterResources(client);
    clusterReady.set(kubeconfig, setup);
  }
  return setup;
}

export async function startPeprModule(options: PeprRunOptions): Promise<PeprRun> {
  const { name, kubeconfig, client } = options;
  const pkg = modulePackage(name);
  const configurationName = `pepr-${pkg.pepr.uuid}`;
  const [bundle, port] = await Promise.all([
    bundleCompatModule(name),
    freePort(),
    peprClusterResources(client, kubeconfig),
  ]);

  const dir = mkdtempSync(join(tmpdir(), `compat-pepr-${name}-`));
  const ca = await createCertificateAuthority({ commonName: "compat-pepr-ca" });
  const serving = await ca.issue({ commonName: PEPR_DEV_HOST, usage: "server", ipAddresses: [PEPR_DEV_HOST] });
  writeFileSync(join(dir, "tls.crt"), serving.cert);
  writeFileSync(join(dir, "tls.key"), serving.key, { mode: 0o600 });
  const apiPath = randomBytes(32).toString("hex");
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    KUBECONFIG: kubeconfig,
    // What Pepr's Deployments set (src/lib/assets/environment.ts genEnv), the module's pepr.env last.
    PEPR_PRETTY_LOG: "false",
    LOG_LEVEL: pkg.pepr.logLevel ?? "info",
    ...pkg.pepr.env,
    // What `pepr dev` sets (src/cli/dev.ts), except pretty logs: module tests read the JSON lines.
    PEPR_MODE: "dev",
    PEPR_API_PATH: apiPath,
    SSL_KEY_PATH: join(dir, "tls.key"),
    SSL_CERT_PATH: join(dir, "tls.crt"),
    [PORT_VARIABLE]: String(port),
  };
  // `pepr dev` learns the bindings from a build-mode run of the bundle; meanwhile the module starts.
  const configurations = peprWebhookConfigurations({
    bundle,
    env,
    config: { ...pkg.pepr, description: pkg.description },
    name: configurationName,
    apiPath,
    caCert: ca.cert,
    port,
    // As `pepr deploy` and the built manifests register them (`pepr dev` would use 30 s).
    timeoutSeconds: pkg.pepr.webhookTimeout ?? 10,
  });
  configurations.catch(() => {}); // awaited in ready()

  const lines: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [bundle], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let partial = "";
    stream?.on("data", (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const complete = partial.split("\n");
      partial = complete.pop() ?? "";
      for (const line of complete) if (line.trim()) lines.push(line);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  let registered = false;

  return {
    lines: () => [...lines],
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const healthz = `https://127.0.0.1:${port}/healthz`;
      while (((await httpsStatus(healthz, ca.cert, "GET")) ?? 500) >= 300) {
        if (!running()) throw new Error(`Pepr's process exited (${child.exitCode}) before serving`);
        if (Date.now() > deadline) throw new Error(`Pepr did not serve /healthz within ${timeoutMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await applyWebhookConfigurations(client, await configurations);
      registered = true;
    },
    async stop() {
      // Unregistered while Pepr still serves: its webhooks may fail closed (onError: reject).
      if (registered) await deleteWebhookConfigurations(client, configurationName);
      if (running()) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => running() && child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
