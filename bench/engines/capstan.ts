// capstan as a bench engine: the bench module bundled the way `capstan dev` bundles it, run by the
// compiled runtime (`dist/runtime/main.js --role dev`: admission and controller in one process, the
// same child `capstan dev` starts), with its webhooks pointing at 127.0.0.1.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { applyWebhookConfigurations, deleteWebhookConfigurations } from "../../src/admission/registration.ts";
import type { WebhookConfigurations } from "../../src/admission/webhook-config.ts";
import { bundleModule } from "../../src/build/bundle.ts";
import { ROLE_FLAG, RUNTIME_NODE_FLAGS } from "../../src/contract/runtime-contract.ts";
import { ApiClient } from "../../src/k8s/api-client.ts";
import { flavorNames } from "../../src/model/flavor.ts";
import { DevEnv, isDevReadyMessage } from "../../src/runtime/dev-contract.ts";
import { localCredentials } from "../../src/runtime/webhook-credentials.ts";
import { installStoreCrd } from "../../src/store/install.ts";
import type { Engine, EngineStartOptions, RunningEngine } from "./engine.ts";
import { benchPaths } from "./paths.ts";
import { runningEngine } from "./running-engine.ts";

// The bench module is a Pepr module (package.json `pepr` key): its webhook configuration has Pepr's name.
const CONFIGURATION = flavorNames("pepr").objectPrefix("bench");

const version = (await import("../../package.json", { with: { type: "json" } })).default.version;

export const capstanEngine: Engine = capstanEngineAt(benchPaths.repo, "capstan", version);

/**
 * capstan from another checkout of this repository (`--engines capstan,capstan@<dir>`), e.g. the
 * commit before a change, so one run compares the two builds turn by turn. The checkout needs its
 * node_modules (a symlink to this one's is enough).
 */
export function baselineEngine(dir: string): Engine {
  const repo = resolve(dir);
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
  return capstanEngineAt(repo, `capstan@${commit}`, `${version} at ${commit}`);
}

function capstanEngineAt(repo: string, name: string, engineVersion: string): Engine {
  const work = join(repo, "bench", ".work", "capstan");
  return {
    name,
    version: engineVersion,
    async prepare() {
      execFileSync("npm", ["run", "-s", "build"], { cwd: repo, stdio: "inherit" });
      // Beside the checkout's package.json, so the bundle's `import "capstan"` resolves to that
      // checkout's dist/ by package self-reference, the instance the runtime entry also loads.
      await bundleModule({ moduleDir: join(repo, "bench", "module"), entry: "pepr.ts", outDir: work });
    },
    async start(options: EngineStartOptions): Promise<RunningEngine> {
      const client = await ApiClient.fromKubeconfig({ kubeconfig: options.kubeconfig });
      await installStoreCrd(client);
      const credentials = (await localCredentials(["127.0.0.1"])).current();
      const dir = join(work, `run-${randomBytes(4).toString("hex")}`);
      mkdirSync(dir, { recursive: true });
      const files = { ca: join(dir, "ca.crt"), cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
      writeFileSync(files.ca, credentials.caCert);
      writeFileSync(files.cert, credentials.tlsCert);
      writeFileSync(files.key, credentials.tlsKey, { mode: 0o600 });
      const apiPath = randomBytes(16).toString("hex");
      const base = `https://127.0.0.1:${options.port}`;
      // The dev role listens on a free port and reports it, with its webhook configurations, over IPC;
      // `capstan dev` would proxy its public port to it and apply them: here they point at it directly.
      let served: (port: number) => void = () => {};
      const servedPort = new Promise<number>((resolve) => {
        served = resolve;
      });
      const onMessage = (message: unknown) => {
        if (!isDevReadyMessage(message)) return;
        const register = options.registerWebhooks
          ? applyWebhookConfigurations(
              client,
              JSON.parse(
                JSON.stringify(message.configurations).replaceAll(`:${options.port}/`, `:${message.port}/`),
              ) as WebhookConfigurations,
            )
          : Promise.resolve();
        void register.then(() => served(message.port));
      };
      return runningEngine({
        onMessage,
        servedPort,
        label: `capstan ${options.scenario}`,
        command: process.execPath,
        args: [...RUNTIME_NODE_FLAGS, join(repo, "dist", "runtime", "main.js"), ROLE_FLAG, "dev"],
        env: {
          ...process.env,
          KUBECONFIG: options.kubeconfig,
          LOG_LEVEL: "info",
          BENCH_NAMESPACE: options.namespace,
          BENCH_SCENARIO: options.scenario,
          ...options.env,
          [DevEnv.moduleFile]: join(work, "module.mjs"),
          [DevEnv.caFile]: files.ca,
          [DevEnv.certFile]: files.cert,
          [DevEnv.keyFile]: files.key,
          [DevEnv.apiPath]: apiPath,
          [DevEnv.host]: "127.0.0.1",
          [DevEnv.port]: String(options.port),
          [DevEnv.namespace]: options.namespace,
          [DevEnv.configurationName]: CONFIGURATION,
        },
        logFile: join(dir, "engine.log"),
        mutateUrl: `${base}/mutate/${apiPath}`,
        validateUrl: `${base}/validate/${apiPath}`,
        healthUrl: `${base}/healthz`,
        caCert: credentials.caCert,
        client,
        webhookConfigurations: options.registerWebhooks ? [CONFIGURATION] : [],
        cleanup: () => deleteWebhookConfigurations(client, CONFIGURATION),
      });
    },
  };
}
