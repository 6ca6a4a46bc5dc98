import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  assembleModule,
  type DeployedRole,
  MODULE_WORK_MOUNT,
  ROLE_FLAG,
  RuntimeEnv,
  resourceNames,
  SERVE_PORT,
} from "../contract/index.ts";
import { ApiClient } from "../k8s/index.ts";
import { type Flavor, flavorOf, type PeprModule, parseFlavor, setModuleStarter } from "../model/index.ts";
import { Log, peprWatchMetrics } from "../telemetry/index.ts";
import { DevEnv } from "./dev-contract.ts";
import { startDevRole } from "./dev-role.ts";
import { type ModuleRuntime, type RuntimeRole, startModuleRuntime } from "./module-runtime.ts";
import { type PeprEnvOptions, peprEnv } from "./pepr-env.ts";
import { startTracing, tracingSettingsFromEnv } from "./tracing-setup.ts";
import { secretCredentials, type WebhookCredentials } from "./webhook-credentials.ts";

/**
 * The process entry of a deployed module (`node …/runtime/main.js --role admission|controller`) and,
 * through `dev-main.js`, of the module process `capstan dev` runs (`--role dev`). It loads the module
 * code, which constructs a `PeprModule`; the starter installed here then runs the role.
 */
export async function runtimeMain(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { role: { type: "string" } },
    allowPositionals: false,
  });
  const pepr = peprEnv();
  const role = (values.role ?? process.env[RuntimeEnv.role] ?? pepr.role) as RuntimeRole | undefined;
  if (role !== "admission" && role !== "controller" && role !== "dev") {
    throw new Error(`${ROLE_FLAG} must be admission, controller or dev (got ${String(role)})`);
  }
  const client = await ApiClient.fromKubeconfig();
  const started = new Promise<PeprModule>((resolve) => setModuleStarter((module) => resolve(module)));
  await import(pathToFileURL(await moduleEntry()).href);
  const module = await Promise.race([
    started,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the module code did not construct a PeprModule within 30 s")), 30_000).unref(),
    ),
  ]);
  applyPeprEnv(pepr, module);
  const tracingSettings = tracingSettingsFromEnv(process.env, `${runtimeFlavor(module)}-${module.config.uuid}`);
  const tracing = tracingSettings ? await startTracing(tracingSettings) : undefined;
  const runtime = await startRole(role, module, client, pepr);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      Log.info({ signal }, "shutting down");
      runtime
        .close()
        .then(() => tracing?.shutdown())
        .then(() => client.close())
        .finally(() => process.exit(0));
    });
  }
}

async function moduleEntry(): Promise<string> {
  const direct = process.env[DevEnv.moduleFile];
  if (direct) return direct;
  const chunks = required(RuntimeEnv.moduleDir);
  const assembled = await assembleModule(
    chunks,
    process.env[RuntimeEnv.moduleWorkDir] ?? MODULE_WORK_MOUNT,
    required(RuntimeEnv.moduleSha256),
    process.env[RuntimeEnv.moduleMapSha256] || undefined,
  );
  return assembled.entry;
}

/** The process-wide parts of Pepr's environment; the engines get theirs as options in `startRole`. */
function applyPeprEnv(pepr: PeprEnvOptions, module: PeprModule): void {
  if (flavorOf(module.config) === "pepr" && !pepr.nodeWarnings) process.removeAllListeners("warning");
  if (pepr.maxCacheMissWindows !== undefined) peprWatchMetrics.setMaxCacheMissWindows(pepr.maxCacheMissWindows);
  for (const { name, reason } of pepr.unneeded)
    Log.info({ variable: name }, `${name} is set; capstan does not need it: ${reason}`);
}

async function startRole(
  role: RuntimeRole,
  module: PeprModule,
  client: ApiClient,
  pepr: PeprEnvOptions,
): Promise<ModuleRuntime> {
  const uuid = module.config.uuid;
  const names = resourceNames(uuid, runtimeFlavor(module));
  if (role === "dev") return startDevRole(module, client, pepr);
  const namespace = required(RuntimeEnv.namespace);
  const manages = process.env[RuntimeEnv.manageCertificates] === "true";
  const credentials =
    role === "admission" || manages ? await deployedCredentials(client, namespace, names, manages) : undefined;
  const runtime = await startModuleRuntime({
    module,
    client,
    role,
    namespace,
    admission:
      role === "admission" && credentials
        ? {
            credentials,
            apiPath: required(RuntimeEnv.apiPath),
            alsoAcceptedApiPaths: [process.env[RuntimeEnv.takeoverApiPath] ?? ""].filter(Boolean),
            endpoint: { service: { name: webhookService(names), namespace, port: 443 } },
            registration: "none",
            port: servePort(),
            configurationName: names.webhookConfiguration,
            extraIgnoredNamespaces: pepr.additionalIgnoredNamespaces,
          }
        : undefined,
    controller: { leaseName: process.env[RuntimeEnv.leaseName] ?? names.lease, healthPort: servePort() },
    additionalIgnoredNamespaces: pepr.additionalIgnoredNamespaces,
  });
  return {
    admission: runtime.admission,
    async close() {
      await runtime.close();
      await credentials?.stop();
    },
  };
}

/** The webhook certificates in their Secret; `manage` creates, rotates and publishes them (one role does). */
function deployedCredentials(
  client: ApiClient,
  namespace: string,
  names: ReturnType<typeof resourceNames>,
  manage: boolean,
): Promise<WebhookCredentials> {
  const service = webhookService(names);
  const list = (name: string) => (process.env[name] ?? "").split(",").filter(Boolean);
  return secretCredentials({
    client,
    namespace,
    secretName: process.env[RuntimeEnv.tlsSecret] ?? names.tlsSecret,
    dnsNames: [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`],
    mutatingWebhookConfigurations: list(RuntimeEnv.mutatingWebhooks),
    validatingWebhookConfigurations: list(RuntimeEnv.validatingWebhooks),
    rotate: manage,
  });
}

function webhookService(names: ReturnType<typeof resourceNames>): string {
  return process.env[RuntimeEnv.webhookService] ?? names.service("admission" satisfies DeployedRole);
}

/** The flavor the manifests named the module's objects by (CAPSTAN_FLAVOR); it must be the module's own. */
function runtimeFlavor(module: PeprModule): Flavor {
  const own = flavorOf(module.config);
  const deployed = process.env[RuntimeEnv.flavor];
  if (!deployed) return own;
  const flavor = parseFlavor(deployed, RuntimeEnv.flavor);
  if (flavor !== own) {
    throw new Error(
      `the manifests name this module's objects as a ${flavor} module, but its code is configured under the "${own}" key: rebuild and redeploy it`,
    );
  }
  return flavor;
}

function servePort(): number {
  return Number(process.env[RuntimeEnv.servePort] ?? SERVE_PORT);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (see docs/deploy.md, the runtime contract)`);
  return value;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runtimeMain(process.argv.slice(2)).catch((error: unknown) => {
    Log.fatal({ err: error }, "capstan runtime failed to start");
    process.exit(1);
  });
}
