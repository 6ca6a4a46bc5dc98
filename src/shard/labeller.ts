import type { InformerScope } from "../informer/index.ts";
import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { SHARD_LABEL, SHARD_RENEW_PERIOD_MS } from "./constants.ts";
import { type KeyKind, shardKey } from "./key.ts";
import { ShardView } from "./membership.ts";
import { HashRing } from "./ring.ts";

export interface ShardLabellerOptions {
  /** The module namespace, where the shard Leases live. */
  readonly namespace: string;
  /** The module's object prefix, `capstan-<uuid>`. */
  readonly prefix: string;
  /** What the controller watches (`shardScopes`): only these objects are labelled. */
  readonly scopes: readonly Pick<InformerScope, "kind" | "namespace">[];
  /** How often the shard Leases are re-read. Default: the shards' renew period. */
  readonly periodMs?: number;
  readonly logger?: Logger;
}

/** What the label webhook knows of an object under admission. */
export interface LabelTarget {
  readonly kind: KeyKind;
  readonly namespace?: string;
  readonly object: KubernetesObject;
}

/**
 * The admission side of sharding: keeps the ring over the live shards (re-reading their Leases every
 * period) and names the shard of an object being created or updated without a shard label, as the
 * assigner would. Its view may lag the assigner's by a period: the assigner then moves the object.
 */
export class ShardLabeller {
  readonly #options: ShardLabellerOptions;
  readonly #view: ShardView;
  readonly #log: Logger;
  #ring = new HashRing();
  #members = "";
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(client: ApiClient, options: ShardLabellerOptions) {
    this.#options = options;
    this.#view = new ShardView(client, options.namespace, options.prefix);
    this.#log = (options.logger ?? Log).child({ component: "shard-labeller" });
  }

  /** Reads the shard Leases once (a failure is logged: the webhook labels nothing until a read succeeds), then every period. */
  async start(): Promise<void> {
    await this.#refresh();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** The shard label `target` should get, or undefined (labelled already, not watched, no key yet, no live shard). */
  labelsFor(target: LabelTarget): Readonly<Record<string, string>> | undefined {
    if (target.object.metadata?.labels?.[SHARD_LABEL]) return undefined;
    const watched = this.#options.scopes.some(
      ({ kind, namespace }) =>
        kind.group === target.kind.group &&
        kind.kind === target.kind.kind &&
        (namespace === undefined || namespace === target.namespace),
    );
    if (!watched) return undefined;
    const key = shardKey(target.object, target.kind);
    const shard = key === undefined ? undefined : this.#ring.owner(key);
    return shard === undefined ? undefined : { [SHARD_LABEL]: shard };
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.#refresh().finally(() => this.#schedule());
    }, this.#options.periodMs ?? SHARD_RENEW_PERIOD_MS);
    this.#timer.unref();
  }

  async #refresh(): Promise<void> {
    try {
      const live = await this.#view.refresh();
      const members = live.join(",");
      if (members === this.#members) return;
      const ring = new HashRing();
      for (const id of live) ring.add(id);
      this.#ring = ring;
      this.#members = members;
      this.#log.debug({ shards: live.length }, "label webhook ring updated");
    } catch (error) {
      this.#log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "label webhook: shard Leases not read",
      );
    }
  }
}
