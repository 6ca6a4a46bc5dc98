// Typed access to the parts of Pepr's source that build.ts bundles (node_modules/.cache/bench/assets/*.mjs). Only the
// fields the harness uses are declared; the objects themselves are Pepr's.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { peprLayout } from "./layout.ts";

export type WebhookType = "mutate" | "validate";

/** The slice of Pepr's `Assets` its webhookConfigGenerator reads (pepr@1.1.4 src/lib/assets/webhooks.ts). */
export interface WebhookAssets {
  readonly name: string;
  /** The CA certificate as base64 PEM: the webhook's caBundle. */
  readonly tls: { readonly ca: string };
  readonly config: Readonly<Record<string, unknown>>;
  readonly apiPath: string;
  /** With a host, the webhook calls https://<host>:3000/<type>/<apiPath> (what `pepr dev` registers). */
  readonly host: string;
  readonly capabilities: readonly unknown[];
}

export interface WebhookConfiguration extends Record<string, unknown> {
  readonly metadata: { readonly name: string };
  readonly webhooks: readonly { readonly clientConfig: { url?: string } }[];
}

export interface PeprAssets {
  webhookConfigGenerator(
    assets: WebhookAssets,
    type: WebhookType,
    timeoutSeconds: number,
  ): Promise<WebhookConfiguration | null>;
  readonly peprStoreCRD: Record<string, unknown> & { readonly metadata: { readonly name: string } };
}

let loaded: Promise<PeprAssets> | undefined;

async function importAsset<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(join(peprLayout.assets, `${name}.mjs`)).href)) as T;
}

/** Loads the bundled assets (build.ts must have run). */
export function peprAssets(): Promise<PeprAssets> {
  loaded ??= (async () => {
    const webhooks = await importAsset<Pick<PeprAssets, "webhookConfigGenerator">>("webhooks");
    const store = await importAsset<Pick<PeprAssets, "peprStoreCRD">>("store");
    return { webhookConfigGenerator: webhooks.webhookConfigGenerator, peprStoreCRD: store.peprStoreCRD };
  })();
  return loaded;
}
