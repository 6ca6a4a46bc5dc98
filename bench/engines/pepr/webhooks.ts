// Pepr's webhook configurations as `pepr dev` generates them: its own generator with a host
// set (so rules, namespaceSelector, failurePolicy and the 30 s dev timeout are Pepr's), our CA as
// the caBundle. Pepr's generator always writes port 3000 into a host URL; the bench runs Pepr on the
// port the harness gives it, so that port replaces 3000 and nothing else changes.
import type { WebhookConfigurations } from "../../../src/admission/webhook-config.ts";
import { discoverCapabilities } from "./capabilities.ts";
import { peprAssets, type WebhookConfiguration } from "./pepr-assets.ts";

/** `pepr dev` deploys its webhooks with this timeout "for debugging" (src/cli/dev.ts). */
const DEV_WEBHOOK_TIMEOUT_SECONDS = 30;
export const PEPR_DEV_HOST = "127.0.0.1";

export interface PeprWebhookOptions {
  /** The module bundle and the environment it runs with: its bindings depend on BENCH_*. */
  readonly bundle: string;
  readonly env: NodeJS.ProcessEnv;
  /** The module's `pepr` block plus its description, as `pepr dev` hands it to Pepr's Assets. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly name: string;
  readonly apiPath: string;
  readonly caCert: string;
  readonly port: number;
  /** The webhooks' timeoutSeconds; `pepr dev`'s 30 s unless given (`pepr deploy` uses the module's webhookTimeout). */
  readonly timeoutSeconds?: number;
}

function atPort(config: WebhookConfiguration, port: number): WebhookConfiguration {
  for (const webhook of config.webhooks) {
    if (!webhook.clientConfig.url) continue;
    const url = new URL(webhook.clientConfig.url);
    url.port = String(port);
    webhook.clientConfig.url = url.href;
  }
  return config;
}

/** Pepr's Mutating/ValidatingWebhookConfigurations for the module (none when it has no such bindings). */
export async function peprWebhookConfigurations(options: PeprWebhookOptions): Promise<WebhookConfigurations> {
  const { webhookConfigGenerator } = await peprAssets();
  const capabilities = await discoverCapabilities(options.bundle, options.env);
  const assets = {
    name: options.name,
    tls: { ca: Buffer.from(options.caCert).toString("base64") },
    config: options.config,
    apiPath: options.apiPath,
    host: PEPR_DEV_HOST,
    capabilities,
  };
  const [mutating, validating] = await Promise.all(
    (["mutate", "validate"] as const).map((type) =>
      webhookConfigGenerator(assets, type, options.timeoutSeconds ?? DEV_WEBHOOK_TIMEOUT_SECONDS),
    ),
  );
  return {
    ...(mutating && { mutating: atPort(mutating, options.port) }),
    ...(validating && { validating: atPort(validating, options.port) }),
  };
}
