import { celPolicies, webhookConfigurations } from "../admission/index.ts";
import { setDefaultClient } from "../fluent/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import type { PeprModule } from "../model/index.ts";
import { type DevReadyMessage, type DevReportMessage, devCredentialsFromEnv } from "./dev-contract.ts";
import { rememberDevPolicies } from "./dev-guard.ts";
import { devModuleClient } from "./dev-rbac.ts";
import { type ModuleRuntime, startModuleRuntime } from "./module-runtime.ts";
import type { PeprEnvOptions } from "./pepr-env.ts";

/**
 * The module process `capstan dev` runs: admission and controller in one process. Its webhook server
 * listens on a free loopback port behind the session's public port; the session, not this process,
 * applies the webhook configurations once this process reports ready over the IPC channel.
 */
export async function startDevRole(
  module: PeprModule,
  client: ApiClient,
  pepr?: Pick<PeprEnvOptions, "additionalIgnoredNamespaces">,
): Promise<ModuleRuntime> {
  const dev = devCredentialsFromEnv();
  const host = dev.host.includes(":") ? `[${dev.host}]` : dev.host;
  const endpoint = { url: `https://${host}:${dev.port}` };
  // As the deployed module would run: the module's K8s() calls and the engine's own act as its
  // generated ServiceAccount, so a missing rule fails here, with the rule to add (docs/cli.md).
  const moduleClient = dev.impersonate
    ? await devModuleClient({
        module,
        client,
        namespace: dev.namespace,
        holder: dev.holder,
        mode: dev.rbacMode,
        report: (line) => process.send?.({ type: "capstan-dev-report", line } satisfies DevReportMessage),
      })
    : undefined;
  if (moduleClient) setDefaultClient(moduleClient.client);
  const runtime = await startModuleRuntime({
    module,
    client: moduleClient?.client ?? client,
    role: "dev",
    namespace: dev.namespace,
    admission: {
      credentials: dev.credentials,
      apiPath: dev.apiPath,
      endpoint,
      port: 0,
      host: "127.0.0.1",
      registration: "none",
      configurationName: dev.configurationName,
      extraIgnoredNamespaces: pepr?.additionalIgnoredNamespaces,
    },
    controller: { leaseName: false },
    additionalIgnoredNamespaces: pepr?.additionalIgnoredNamespaces,
  });
  const port = runtime.admission?.server.port;
  if (port === undefined) throw new Error("the dev role started without its admission server");
  const ready: DevReadyMessage = {
    type: "capstan-dev-ready",
    port,
    configurations: webhookConfigurations(module, {
      name: dev.configurationName,
      endpoint,
      apiPath: dev.apiPath,
      caBundle: dev.credentials.current().trustBundle,
      ignoredNamespaces: pepr?.additionalIgnoredNamespaces,
    }),
    policies: celPolicies(module, { ignoredNamespaces: pepr?.additionalIgnoredNamespaces }),
  };
  rememberDevPolicies((ready.policies ?? []).map(({ policy }) => (policy.metadata as { name: string }).name));
  process.send?.(ready);
  if (!moduleClient) return runtime;
  return {
    admission: runtime.admission,
    async close() {
      await runtime.close();
      await moduleClient.close();
    },
  };
}
