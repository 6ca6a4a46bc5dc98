import type { ApiClient } from "../k8s/index.ts";
import { NotFoundError } from "../k8s/index.ts";
import type { WebhookConfigurations } from "./webhook-config.ts";

const base = "/apis/admissionregistration.k8s.io/v1";
const FIELD_MANAGER = "capstan";

function collection(kind: "mutating" | "validating"): string {
  return `${base}/${kind}webhookconfigurations`;
}

/** Applies the configurations server-side (creating or replacing them). */
export async function applyWebhookConfigurations(client: ApiClient, configs: WebhookConfigurations): Promise<void> {
  for (const kind of ["mutating", "validating"] as const) {
    const config = configs[kind];
    if (!config) continue;
    const name = (config.metadata as { name: string }).name;
    await client.request({
      method: "PATCH",
      path: `${collection(kind)}/${name}`,
      query: { fieldManager: FIELD_MANAGER, force: true },
      contentType: "application/apply-patch+yaml",
      body: config,
    });
  }
}

/** Deletes both configurations of that name; missing ones are fine. */
export async function deleteWebhookConfigurations(client: ApiClient, name: string): Promise<void> {
  for (const kind of ["mutating", "validating"] as const) {
    await client.request({ method: "DELETE", path: `${collection(kind)}/${name}` }).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }
}
