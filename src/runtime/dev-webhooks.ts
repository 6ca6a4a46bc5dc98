import type { CelPolicyObjects, WebhookConfigurations } from "../admission/index.ts";
import { applyCelPolicies, applyWebhookConfigurations, deleteCelPolicies } from "../admission/index.ts";
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
  #policies: readonly CelPolicyObjects[] = [];
  #writtenPolicies = new Map<string, string>();

  constructor(name: string) {
    this.name = name;
  }

  get registered(): boolean {
    return this.#configs !== undefined;
  }

  /** A module process serves with these configurations (and these ValidateCEL policies, which need no process). */
  serve(configs: WebhookConfigurations, policies: readonly CelPolicyObjects[] = []): void {
    this.#configs = configs;
    this.#policies = policies;
    this.#serving = true;
  }

  /** The names of the ValidateCEL policies (and their bindings) written, for removal on exit. */
  get policyNames(): string[] {
    return [...this.#writtenPolicies.keys()];
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
    await this.#syncPolicies(client, force);
  }

  // Kept while no module process serves: the API server runs them itself.
  async #syncPolicies(client: ApiClient, force: boolean): Promise<void> {
    const desired = new Map(this.#policies.map((pair) => [policyName(pair), JSON.stringify(pair)]));
    const gone = [...this.#writtenPolicies.keys()].filter((name) => !desired.has(name));
    await deleteCelPolicies(client, gone);
    for (const name of gone) this.#writtenPolicies.delete(name);
    const changed = this.#policies.filter(
      (pair) => force || this.#writtenPolicies.get(policyName(pair)) !== JSON.stringify(pair),
    );
    await applyCelPolicies(client, changed);
    for (const pair of changed) this.#writtenPolicies.set(policyName(pair), JSON.stringify(pair));
  }

  /** Forgets what was written (the cluster may have lost it): the next `sync` writes everything. */
  invalidate(): void {
    this.#written = {};
  }
}

const policyName = (pair: CelPolicyObjects) => (pair.policy.metadata as { name: string }).name;

async function deleteOne(client: ApiClient, kind: Kind, name: string): Promise<void> {
  await client
    .request({ method: "DELETE", path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}` })
    .catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
}
