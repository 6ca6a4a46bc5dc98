import type { WebhookConfigurations } from "../admission/index.ts";
import { applyWebhookConfigurations } from "../admission/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { NotFoundError } from "../k8s/index.ts";

type Kind = keyof WebhookConfigurations;
const kinds: readonly Kind[] = ["mutating", "validating"];

/** The same configurations with every webhook failing open: nothing is rejected while no module serves. */
export function failOpen(configs: WebhookConfigurations): WebhookConfigurations {
  const open = (config: Record<string, unknown> | undefined) =>
    config && {
      ...config,
      webhooks: ((config.webhooks as Record<string, unknown>[] | undefined) ?? []).map((webhook) => ({
        ...webhook,
        failurePolicy: "Ignore",
      })),
    };
  return { mutating: open(configs.mutating), validating: open(configs.validating) };
}

/**
 * The webhook configurations a dev session owns: those the serving module process reported, or
 * the same failing open while none serves. `sync` writes only what changed since the last write
 * (`force` after the API server came back: it may have lost them).
 */
export class DevWebhooks {
  readonly name: string;
  #configs: WebhookConfigurations | undefined;
  #serving = false;
  #written: Partial<Record<Kind, string>> = {};

  constructor(name: string) {
    this.name = name;
  }

  get registered(): boolean {
    return this.#configs !== undefined;
  }

  /** A module process serves with these configurations. */
  serve(configs: WebhookConfigurations): void {
    this.#configs = configs;
    this.#serving = true;
  }

  /** No module process serves: fail open. */
  failOpen(): void {
    this.#serving = false;
  }

  async sync(client: ApiClient, force = false): Promise<void> {
    if (!this.#configs) return;
    const desired = this.#serving ? this.#configs : failOpen(this.#configs);
    for (const kind of kinds) {
      const config = desired[kind];
      const text = config ? JSON.stringify(config) : undefined;
      if (!force && text === this.#written[kind]) continue;
      if (config) await applyWebhookConfigurations(client, { [kind]: config });
      else if (this.#written[kind] !== undefined || force) await deleteOne(client, kind, this.name);
      this.#written[kind] = text;
    }
  }

  /** Forgets what was written (the cluster may have lost it): the next `sync` writes everything. */
  invalidate(): void {
    this.#written = {};
  }
}

async function deleteOne(client: ApiClient, kind: Kind, name: string): Promise<void> {
  await client
    .request({ method: "DELETE", path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}` })
    .catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
}
