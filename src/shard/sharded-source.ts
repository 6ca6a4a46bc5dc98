import type { ObjectSource, SourceFactory } from "../controller/index.ts";
import { type InformerEvent, type InformerOptions, sharedInformer } from "../informer/index.ts";
import { type ApiClient, type KubernetesObject, NotFoundError, resourcePath } from "../k8s/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { DRAIN_TO_ANNOTATION, SHARD_LABEL } from "./constants.ts";
import { shardMetrics } from "./metrics.ts";

export interface ShardedSourcesOptions {
  readonly client: ApiClient;
  /** This replica's shard id. */
  readonly id: string;
  /** Informer settings other than the scope. */
  readonly informer?: Omit<InformerOptions, "kind" | "namespace" | "labelSelector" | "fieldSelector">;
  readonly logger?: Logger;
}

/** Whether a callback of this replica runs now on the object `namespace/name` (any binding). */
export type BusyCheck = (namespace: string, name: string) => boolean;

const DRAIN_POLL_MS = 10;
const DRAIN_RETRY_MS = 1_000;

/**
 * The object sources of a sharded replica. Each binding's informer also selects
 * `capstan.dev/shard=<id>`, so this replica lists, caches and reconciles only its share. Around it:
 *
 * - an object the assigner marked `capstan.dev/drain-to=<other>` is draining: its events are not
 *   delivered, `get()` no longer returns it (a queued level-triggered item finds it gone and skips),
 *   and once no callback of this replica runs on it, the replica flips its label to `<other>` and
 *   removes the annotation in one patch. Only then can the new owner see it: never two at once.
 * - the DELETED event of an object that left the selector (its label now names another shard, or it
 *   was draining) is not a deletion: it is swallowed, so no Watch DELETE and no finalizer runs. A
 *   DELETED a relist made up (the object vanished from the list while the watch was down) is
 *   checked with a GET: delivered only if the object is really gone.
 */
export class ShardedSources {
  readonly #options: ShardedSourcesOptions;
  readonly #log: Logger;
  readonly #draining = new Set<string>();
  #busy: BusyCheck = () => false;
  #stopped = false;

  constructor(options: ShardedSourcesOptions) {
    this.#options = options;
    this.#log = (options.logger ?? Log).child({ component: "shard", shard: options.id });
  }

  /** Tells the drain how to see running callbacks (the controller's queues exist after the sources). */
  setBusyCheck(busy: BusyCheck): void {
    this.#busy = busy;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Drains in progress (objects waiting for a callback to end or for their label patch). */
  get draining(): number {
    return this.#draining.size;
  }

  readonly factory: SourceFactory = (scope: InformerOptions): ObjectSource => {
    const mine = `${SHARD_LABEL}=${this.#options.id}`;
    const labelSelector = scope.labelSelector ? `${scope.labelSelector},${mine}` : mine;
    const informer = sharedInformer(this.#options.client, { ...this.#options.informer, ...scope, labelSelector });
    const owned = (object: KubernetesObject | undefined): object is KubernetesObject =>
      object !== undefined && object.metadata?.labels?.[SHARD_LABEL] === this.#options.id && !this.#drainTarget(object);
    return {
      start: () => informer.start(),
      waitForSync: (signal) => informer.waitForSync(signal),
      health: () => informer.health(),
      get: (namespace, name) => {
        const object = informer.get(namespace, name);
        return owned(object) ? object : undefined;
      },
      subscribe: (handler) =>
        informer.subscribe((event: InformerEvent) => {
          const { object } = event;
          if (event.type === "DELETED") {
            const kind = deletedEventKind(event, this.#options.id);
            if (kind === "left") return;
            if (kind === "unverified")
              return this.#stillExists(kindOfScope(scope), object).then((exists) =>
                exists ? undefined : handler(event),
              );
            return handler(event);
          }
          const target = this.#drainTarget(object);
          if (target !== undefined) {
            this.#drain(kindOfScope(scope), object, target);
            return;
          }
          return handler(event);
        }),
    };
  };

  /** Whether the object (same uid) still exists; on an error, assume it does not (deliver the delete). */
  async #stillExists(kind: InformerOptions["kind"], object: KubernetesObject): Promise<boolean> {
    try {
      const current = await this.#options.client.request<KubernetesObject>({
        path: resourcePath(kind, { namespace: object.metadata?.namespace, name: object.metadata?.name }),
      });
      return current.metadata?.uid === object.metadata?.uid;
    } catch (error) {
      if (!(error instanceof NotFoundError)) {
        this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, "relist delete not verified");
      }
      return false;
    }
  }

  /** The shard `object` is draining to, when it is one other than this replica. */
  #drainTarget(object: KubernetesObject): string | undefined {
    const target = object.metadata?.annotations?.[DRAIN_TO_ANNOTATION];
    return target && target !== this.#options.id ? target : undefined;
  }

  #drain(kind: InformerOptions["kind"], object: KubernetesObject, target: string): void {
    const namespace = object.metadata?.namespace ?? "";
    const name = object.metadata?.name ?? "";
    const id = `${kind.plural}.${kind.group}|${namespace}/${name}`;
    if (this.#draining.has(id)) return;
    this.#draining.add(id);
    const attempt = async (): Promise<void> => {
      while (this.#busy(namespace, name) && !this.#stopped) await sleep(DRAIN_POLL_MS);
      if (this.#stopped) return;
      try {
        await this.#options.client.request({
          method: "PATCH",
          path: resourcePath(kind, { namespace, name }),
          contentType: "application/merge-patch+json",
          body: { metadata: { labels: { [SHARD_LABEL]: target }, annotations: { [DRAIN_TO_ANNOTATION]: null } } },
        });
        shardMetrics.drains.inc({ shard: this.#options.id });
      } catch (error) {
        if (error instanceof NotFoundError) return;
        this.#log.warn(
          { err: error instanceof Error ? error.message : String(error), name, namespace },
          "drain failed",
        );
        await sleep(DRAIN_RETRY_MS);
        return attempt();
      }
    };
    void attempt().finally(() => this.#draining.delete(id));
  }
}

/**
 * What a DELETED event from a sharded replica's informer means:
 * - `left`: the object left this shard (its label names another shard, or it was draining): no deletion;
 * - `unverified`: a relist found it missing (the event carries the cache's last state): ask the API server;
 * - `deleted`: the watch reported the deletion of an object of this shard.
 */
export function deletedEventKind(event: InformerEvent, id: string): "left" | "unverified" | "deleted" {
  const draining = (object: KubernetesObject | undefined) => {
    const target = object?.metadata?.annotations?.[DRAIN_TO_ANNOTATION];
    return target !== undefined && target !== "" && target !== id;
  };
  if (event.object.metadata?.labels?.[SHARD_LABEL] !== id || draining(event.object) || draining(event.previous)) {
    return "left";
  }
  return event.object === event.previous ? "unverified" : "deleted";
}

function kindOfScope(scope: InformerOptions): InformerOptions["kind"] {
  return scope.kind;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
