import { Informer, type InformerScope } from "../informer/index.ts";
import { type ApiClient, type KubernetesObject, NotFoundError, resourcePath } from "../k8s/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { ASSIGNER_CONCURRENCY, ASSIGNER_PERIOD_MS, DRAIN_TO_ANNOTATION, SHARD_LABEL } from "./constants.ts";
import { type KeyKind, shardKey } from "./key.ts";
import type { ShardView } from "./membership.ts";
import { shardMetrics } from "./metrics.ts";
import { HashRing } from "./ring.ts";

export interface AssignerOptions {
  readonly client: ApiClient;
  /** The kinds (and namespace, when one) the module's bindings watch. */
  readonly scopes: readonly Pick<InformerScope, "kind" | "namespace">[];
  readonly view: ShardView;
  readonly periodMs?: number;
  readonly concurrency?: number;
  readonly logger?: Logger;
}

/** How soon after an unlabelled object appears the assigner runs a pass. */
const KICK_DELAY_MS = 20;

/** What the assigner writes for one object, or nothing. */
export type Assignment =
  | { readonly write: "label"; readonly shard: string }
  | { readonly write: "drain"; readonly shard: string }
  | { readonly write: "clear-drain" }
  | undefined;

/**
 * The decision for one object, given the ring over the live shards:
 * - no shard label, or its shard is dead: label it with the ring's owner at once (nobody reconciles it);
 * - its shard is live but the ring names another: ask the owner to drain (`drain-to=<new>`);
 *   a drain towards a shard that is no longer the target is re-aimed, one towards a dead shard too;
 * - a stale `drain-to` on an object already where it belongs: removed.
 */
export function assignmentOf(object: KubernetesObject, kind: KeyKind, ring: HashRing): Assignment {
  const key = shardKey(object, kind);
  const target = key === undefined ? undefined : ring.owner(key);
  if (target === undefined) return undefined;
  const current = object.metadata?.labels?.[SHARD_LABEL];
  const drainTo = object.metadata?.annotations?.[DRAIN_TO_ANNOTATION];
  if (!current || !ring.has(current)) return { write: "label", shard: target };
  if (current === target) return drainTo ? { write: "clear-drain" } : undefined;
  return drainTo === target ? undefined : { write: "drain", shard: target };
}

/** Keeps only what the assigner reads: identity, labels, annotations, owners. */
function metadataOnly(object: KubernetesObject): KubernetesObject {
  const m = object.metadata ?? {};
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      labels: m.labels,
      annotations: m.annotations,
      ownerReferences: m.ownerReferences,
    },
  };
}

/**
 * The assigner runs on the elected leader only. It watches every object of the watched kinds
 * (its own unfiltered informer, keeping metadata only: unlabelled objects are invisible to the
 * shards) and, every period or when objects change, puts each one on the shard the ring names.
 */
export class Assigner {
  readonly #options: AssignerOptions;
  readonly #log: Logger;
  readonly #informers: { informer: Informer; scope: Pick<InformerScope, "kind" | "namespace"> }[];
  /** Object key → resourceVersion it had when we last wrote it: not written again until it changes. */
  readonly #written = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  /** A pass is due within KICK_DELAY_MS. */
  #soon = false;
  /** An unlabelled object arrived during a pass: run the next one soon. */
  #again = false;
  #refreshedAt = 0;
  readonly #unsubscribe: (() => void)[] = [];
  #stopped = false;
  #ring = new HashRing();

  constructor(options: AssignerOptions) {
    this.#options = options;
    this.#log = (options.logger ?? Log).child({ component: "shard-assigner" });
    this.#informers = options.scopes.map((scope) => ({
      scope,
      informer: new Informer(options.client, { ...scope, transform: metadataOnly }),
    }));
  }

  /** Live shards as of the last pass. */
  get members(): readonly string[] {
    return this.#ring.members();
  }

  start(): void {
    for (const { informer } of this.#informers) {
      // A new (unlabelled) object is invisible to every shard until labelled: label it now, not at the next period.
      this.#unsubscribe.push(
        informer.subscribe((event) => {
          if (event.type !== "DELETED" && !event.object.metadata?.labels?.[SHARD_LABEL]) this.#kick();
        }),
      );
      informer.start();
    }
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await Promise.all(this.#informers.map(({ informer }) => informer.stop()));
  }

  #kick(): void {
    if (this.#stopped || this.#soon) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#soon = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), KICK_DELAY_MS);
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#soon = false;
    void this.pass()
      .catch((error: unknown) =>
        this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, "assigner pass failed"),
      )
      .finally(() => {
        if (this.#stopped) return;
        const delay = this.#again ? KICK_DELAY_MS : (this.#options.periodMs ?? ASSIGNER_PERIOD_MS);
        this.#again = false;
        this.#soon = delay === KICK_DELAY_MS;
        this.#timer = setTimeout(() => this.#tick(), delay);
      });
  }

  /** One pass: re-read membership, then write every object that is not where the ring puts it. */
  async pass(): Promise<number> {
    if (this.#running) return 0;
    this.#running = true;
    try {
      const period = this.#options.periodMs ?? ASSIGNER_PERIOD_MS;
      const now = Date.now();
      // Membership is re-read once a period; passes kicked by new objects in between reuse the ring.
      if (now - this.#refreshedAt >= period * 0.9 || this.#ring.size === 0) {
        const live = await this.#options.view.refresh(now);
        this.#refreshedAt = now;
        const ring = new HashRing();
        for (const id of live) ring.add(id);
        this.#ring = ring;
        shardMetrics.members.set(live.length);
      }
      const ring = this.#ring;
      if (ring.size === 0) return 0;
      const work: (() => Promise<void>)[] = [];
      for (const { informer, scope } of this.#informers) {
        if (!informer.health().synced) continue;
        for (const object of informer.list()) {
          const assignment = assignmentOf(object, scope.kind, ring);
          if (!assignment) continue;
          const key = `${scope.kind.plural}.${scope.kind.group}|${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
          const version = object.metadata?.resourceVersion ?? "";
          if (this.#written.get(key) === version) continue;
          work.push(() => this.#write(scope.kind, object, assignment, key, version));
        }
      }
      await pool(work, this.#options.concurrency ?? ASSIGNER_CONCURRENCY);
      if (this.#written.size > 100_000) this.#written.clear();
      return work.length;
    } finally {
      this.#running = false;
    }
  }

  async #write(
    kind: InformerScope["kind"],
    object: KubernetesObject,
    assignment: NonNullable<Assignment>,
    key: string,
    version: string,
  ): Promise<void> {
    const metadata =
      assignment.write === "label"
        ? { labels: { [SHARD_LABEL]: assignment.shard }, annotations: { [DRAIN_TO_ANNOTATION]: null } }
        : assignment.write === "drain"
          ? { annotations: { [DRAIN_TO_ANNOTATION]: assignment.shard } }
          : { annotations: { [DRAIN_TO_ANNOTATION]: null } };
    try {
      await this.#options.client.request({
        method: "PATCH",
        path: resourcePath(kind, { namespace: object.metadata?.namespace, name: object.metadata?.name }),
        contentType: "application/merge-patch+json",
        body: { metadata: { ...metadata, resourceVersion: version } },
      });
      this.#written.set(key, version);
      if (assignment.write !== "clear-drain") shardMetrics.moves.inc({ shard: assignment.shard });
    } catch (error) {
      if (error instanceof NotFoundError) return;
      // A conflict means the object changed since the cache saw it: the next pass sees the new version.
      this.#log.debug({ err: error instanceof Error ? error.message : String(error), key }, "assignment not written");
    }
  }
}

async function pool(work: readonly (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length) {
      const job = work[next++];
      if (job) await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
}
