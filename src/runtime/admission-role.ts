import {
  AdmissionEngine,
  type AdmissionModule,
  type AdmissionServer,
  applyWebhookConfigurations,
  type ObjectLabeller,
  recordingRequested,
  startAdmissionServer,
  type WebhookEndpoint,
  webhookConfigurations,
} from "../admission/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { namesOf } from "../model/index.ts";
import { Log } from "../telemetry/index.ts";
import type { WebhookCredentials } from "./webhook-credentials.ts";

export interface AdmissionRoleOptions {
  readonly module: AdmissionModule;
  readonly client: ApiClient;
  readonly credentials: WebhookCredentials;
  /** The secret path segment of the webhook routes (`/mutate/<apiPath>`). */
  readonly apiPath: string;
  readonly alsoAcceptedApiPaths?: readonly string[];
  /** Where the API server reaches this process (a Service in a cluster, a URL in dev mode); a function gets the bound port. */
  readonly endpoint: WebhookEndpoint | ((port: number) => WebhookEndpoint);
  readonly port: number;
  readonly host?: string;
  /** Webhook configuration name. Default `pepr-<uuid>` (Pepr mode) or `capstan-<uuid>`. */
  readonly configurationName?: string;
  /**
   * `apply` (dev, tests): this process owns the webhook configurations and applies them whole.
   * `none` (deployed): `capstan deploy` applies them and the certificate manager keeps their caBundle.
   */
  readonly registration?: "apply" | "none";
  /** Extra namespaceSelector terms (tests and dev confine a module to their namespaces). */
  readonly namespaceSelector?: Parameters<typeof webhookConfigurations>[1]["namespaceSelector"];
  readonly isReady?: () => boolean;
  /** Namespaces admission ignores besides the module's own (PEPR_ADDITIONAL_IGNORED_NAMESPACES). */
  readonly extraIgnoredNamespaces?: readonly string[];
  /** The shard label webhook's labels (controller.shards). */
  readonly labeller?: ObjectLabeller;
}

export interface AdmissionRole {
  readonly server: AdmissionServer;
  readonly engine: AdmissionEngine;
  readonly configurationName: string;
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves a module's Mutate and Validate bindings: starts the HTTPS server with the current
 * credentials, applies the webhook configurations pointing at it, and on every credential change
 * swaps the server's certificate in place and re-applies the configurations' caBundle.
 */
export async function startAdmissionRole(options: AdmissionRoleOptions): Promise<AdmissionRole> {
  const engine = new AdmissionEngine(options.module, {
    extraIgnoredNamespaces: options.extraIgnoredNamespaces,
    // `capstan dev --record`, or CAPSTAN_RECORD_ADMISSION=true in a deployed module's env.
    record: recordingRequested(process.env),
  });
  const first = options.credentials.current();
  const server = await startAdmissionServer({
    engine,
    tls: { cert: first.tlsCert, key: first.tlsKey },
    apiPath: options.apiPath,
    alsoAcceptedApiPaths: options.alsoAcceptedApiPaths,
    port: options.port,
    host: options.host,
    isReady: options.isReady,
    labeller: options.labeller,
  });
  const configurationName =
    options.configurationName ?? namesOf(options.module.config).objectPrefix(options.module.config.uuid);
  const endpoint = typeof options.endpoint === "function" ? options.endpoint(server.port) : options.endpoint;
  const register = (caBundle: string) =>
    applyWebhookConfigurations(
      options.client,
      webhookConfigurations(options.module, {
        name: configurationName,
        endpoint,
        apiPath: options.apiPath,
        caBundle,
        namespaceSelector: options.namespaceSelector,
        ignoredNamespaces: options.extraIgnoredNamespaces,
      }),
    );
  const owns = (options.registration ?? "apply") === "apply";
  if (owns) await register(first.trustBundle);
  const unsubscribe = options.credentials.onChange((next) => {
    server.server.setSecureContext({ cert: next.tlsCert, key: next.tlsKey });
    Log.info({ configuration: configurationName }, "webhook serving certificate replaced");
    if (!owns) return;
    register(next.trustBundle).catch((error: unknown) =>
      Log.error(
        { err: error, configuration: configurationName },
        "could not update the webhook configurations' caBundle",
      ),
    );
  });
  return {
    server,
    engine,
    configurationName,
    async close(graceMs) {
      unsubscribe();
      await server.close(graceMs);
    },
  };
}
