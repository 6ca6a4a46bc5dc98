import { type Clock, systemClock } from "../controller/clock.ts";
import { Backoff } from "../informer/backoff.ts";
import type { Informer } from "../informer/informer.ts";
import { sharedInformer } from "../informer/registry.ts";
import type { ApiClient } from "../k8s/api-client.ts";
import { InvalidError } from "../k8s/errors.ts";
import { Log, type Logger } from "../telemetry/logger.ts";
import type { StoreBackend, UpdateFunction } from "./backend.ts";
import { type StoreShardObject, storeKind } from "./crd.ts";
import { classifyFailure, failureReason, redactedMessage, StoreWriteError } from "./failures.ts";
import { dataKey, entryPointer, shardIndex, shardName, validateValue } from "./keys.ts";
import { Limiter } from "./limiter.ts";
import { logValues, storeMetrics } from "./metrics.ts";
import { StoreReplica } from "./replica.ts";
import { clusterShardApi, type PatchOperation, type ShardApi, STORE_LABEL } from "./shard-api.ts";
import { operationsOf, type PendingWrite, ShardWriter } from "./shard-writer.ts";
import { ViewBackedStore } from "./views.ts";

/** What feeds the replica: the shared informer of the store's shards (or a stand-in in tests). */
export type StoreFeed = Pick<Informer<StoreShardObject>, "subscribe" | "start" | "waitForSync" | "stop" | "list">;

export const DEFAULT_SHARDS = 32;
const UPDATE_MAX_ATTEMPTS = 200;
const CONTENDED_FOR_MS = 5_000;

export interface ClusterStoreOptions {
  readonly client: ApiClient;
  /** Where the shard objects live (the module's namespace, e.g. `capstan-system`). */
  readonly namespace: string;
  /** The store's name; shards are `<name>-00` … and carry the label `capstan.dev/store=<name>`. */
  readonly name: string;
  /** Fixed for the life of a store: every replica must use the same number. Default 32 (~45 MB). */
  readonly shards?: number;
  readonly clock?: Clock;
  /** Patches in flight at once across all shards. Default 4. */
  readonly maxInFlight?: number;
  readonly api?: ShardApi;
  readonly feed?: StoreFeed;
}

/**
 * A module's Store in the cluster: shard objects of the CapstanStore CRD, a local replica fed by a
 * watch, and per-shard writers that send JSON patches of per-key operations. Reads are local and
 * synchronous; this process sees its own writes at once (an overlay until they are acknowledged).
 */
export class ClusterStore extends ViewBackedStore implements StoreBackend {
  readonly name: string;
  readonly namespace: string;
  readonly shardCount: number;
  readonly #api: ShardApi;
  readonly #feed: StoreFeed;
  readonly #replica = new StoreReplica();
  readonly #overlay = new Map<string, PendingWrite>();
  readonly #writers = new Map<string, ShardWriter>();
  readonly #limiter: Limiter;
  /** The last `update` of each entry in this process: updates of one key queue here instead of conflicting with each other. */
  readonly #updates = new Map<string, Promise<unknown>>();
  /** When an update of an entry last lost to another writer. */
  readonly #contended = new Map<string, number>();
  readonly #log: Logger;
  readonly #ready: Promise<void>;
  #markReady!: () => void;
  #isReady = false;
  #seq = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(options: ClusterStoreOptions) {
    super(options.clock ?? systemClock);
    this.name = options.name;
    this.namespace = options.namespace;
    this.shardCount = options.shards ?? DEFAULT_SHARDS;
    if (!Number.isInteger(this.shardCount) || this.shardCount < 1 || this.shardCount > 1000) {
      throw new RangeError(`a store needs between 1 and 1000 shards, got ${options.shards}`);
    }
    this.#api = options.api ?? clusterShardApi(options.client, options.namespace, options.name);
    this.#feed =
      options.feed ??
      sharedInformer<StoreShardObject>(options.client, {
        kind: storeKind,
        namespace: options.namespace,
        labelSelector: `${STORE_LABEL}=${options.name}`,
      });
    this.#limiter = new Limiter(options.maxInFlight ?? 4);
    this.#log = Log.child({ component: "store", store: options.name, namespace: options.namespace });
    this.#ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
  }

  /** Starts the watch; `whenReady` resolves once the replica holds every shard. */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#feed.subscribe((event) => {
      const changed =
        event.type === "DELETED"
          ? this.#replica.remove(event.object.metadata?.name ?? "")
          : this.#replica.apply(event.object);
      for (const entry of changed) this.#refresh(entry);
    });
    this.#feed.start();
    void this.#feed.waitForSync().then(
      () => {
        // A shared informer that synced earlier replays its cache to us later; take the cache now.
        for (const shard of this.#feed.list()) this.#applyShard(shard);
        this.#isReady = true;
        this.#markReady();
        this.#log.info({ entries: this.#replica.size }, "store replica synced");
      },
      (error: unknown) => this.#log.warn({ err: error }, "store replica stopped before it synced"),
    );
  }

  get ready(): boolean {
    return this.#isReady;
  }

  whenReady(): Promise<void> {
    return this.#ready;
  }

  /** Writes not yet acknowledged by the API server. */
  get pendingWrites(): number {
    let pending = 0;
    for (const writer of this.#writers.values()) pending += writer.pending;
    return pending;
  }

  write(prefix: string, key: string, value: string | null): Promise<void> {
    const entry = dataKey(prefix, key);
    return new Promise<void>((resolve, reject) => {
      const write: PendingWrite = {
        entry,
        value,
        seq: ++this.#seq,
        enqueuedAt: this.clock.now(),
        waiters: [{ resolve, reject }],
      };
      if (logValues()) this.#log.debug({ key: entry, storedValue: value }, "store write queued");
      this.#overlay.set(entry, write);
      // Queue before updating the views: the writer's flush is then scheduled ahead of the
      // subscriber call the change causes, so the patch does not wait for subscribers.
      this.#writerFor(entry).enqueue(write);
      this.views.set(entry, value ?? undefined);
    });
  }

  update(prefix: string, key: string, fn: UpdateFunction): Promise<string | null> {
    const entry = dataKey(prefix, key);
    const previous = this.#updates.get(entry) ?? Promise.resolve();
    const result = previous.catch(() => {}).then(() => this.#update(entry, key, fn));
    const settled = result.catch(() => {});
    this.#updates.set(entry, settled);
    void settled.then(() => {
      if (this.#updates.get(entry) === settled) this.#updates.delete(entry);
    });
    return result;
  }

  async #update(entry: string, key: string, fn: UpdateFunction): Promise<string | null> {
    const shard = this.#shardOf(entry);
    if (this.#overlay.has(entry)) await this.#writerFor(entry).idle();
    let current = this.#replica.get(entry) ?? null;
    let version = this.#replica.resourceVersion(shard);
    // A key other replicas are updating too: the replica is likely behind, so start from a fresh read.
    if (this.clock.now() - (this.#contended.get(entry) ?? Number.NEGATIVE_INFINITY) < CONTENDED_FOR_MS) {
      ({ current, version } = await this.#read(shard, entry));
    }
    const backoff = new Backoff({ initialMs: 5, maxMs: 500 });
    let unexplained = 0;
    for (let attempt = 1; attempt <= UPDATE_MAX_ATTEMPTS; attempt++) {
      const next = fn(current);
      if (next !== null) validateValue("update", key, next);
      if (next === current) return current;
      if (version === undefined) {
        await this.#api.create(shard);
        ({ current, version } = await this.#read(shard, entry));
        continue;
      }
      const precondition: PatchOperation =
        current === null
          ? { op: "test", path: "/metadata/resourceVersion", value: version }
          : { op: "test", path: entryPointer(entry), value: current };
      try {
        const object = await this.#api.patch(shard, [precondition, ...operationsOf({ entry, value: next })]);
        this.#applyShard(object);
        return next;
      } catch (error) {
        const action = classifyFailure(error);
        if (error instanceof InvalidError) {
          const before = { current, version };
          ({ current, version } = await this.#read(shard, entry));
          const testFailed = before.current !== current || (before.current === null && before.version !== version);
          // The same state again means the server refused the new value itself; allow for a value
          // that changed and changed back in between (A-B-A) before calling it permanent.
          if (!testFailed && ++unexplained >= 3) throw this.#writeError(entry, next, error);
          storeMetrics.updateConflicts.inc({ store: this.name });
          this.#contended.set(entry, this.clock.now());
          // Someone else's update succeeded (that is what failed ours) and we hold the fresh value:
          // try again at once. Only a repeated unexplained refusal waits.
          if (testFailed) continue;
        } else if (action === "missing") {
          version = undefined;
          continue;
        } else if (action === "reject") {
          throw this.#writeError(entry, next, error);
        }
        await this.#sleep(backoff.next());
      }
    }
    throw new StoreWriteError(
      entry,
      `Store.update("${key}") gave up after ${UPDATE_MAX_ATTEMPTS} conflicting attempts`,
    );
  }

  /** Resolves when every write queued so far has been acknowledged or refused (however long that takes). */
  async flushed(): Promise<void> {
    await Promise.all([...this.#writers.values()].map((writer) => writer.idle()));
  }

  /** Waits (at most `timeoutMs`) for queued writes to be acknowledged, then stops the watch. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const idle = this.flushed();
    const timedOut = await Promise.race([idle.then(() => false), this.#sleep(timeoutMs).then(() => true)]);
    if (timedOut) this.#log.error({ pending: this.pendingWrites }, "store closed with writes not yet acknowledged");
    this.#unsubscribe?.();
    await this.#feed.stop();
  }

  async #read(shard: string, entry: string): Promise<{ current: string | null; version: string | undefined }> {
    const object = await this.#api.read(shard);
    if (object) this.#applyShard(object);
    return { current: object?.data?.[entry] ?? null, version: object?.metadata?.resourceVersion };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  #shardOf(entry: string): string {
    return shardName(this.name, shardIndex(entry, this.shardCount), this.shardCount);
  }

  #writerFor(entry: string): ShardWriter {
    const shard = this.#shardOf(entry);
    let writer = this.#writers.get(shard);
    if (!writer) {
      writer = new ShardWriter({
        shard,
        api: this.#api,
        clock: this.clock,
        limiter: this.#limiter,
        missing: () => this.#isReady && !this.#replica.has(shard),
        hooks: {
          acked: (writes, object) => this.#acked(writes, object),
          rejected: (write, error) => this.#rejected(write, error),
          retrying: (error, delayMs) => {
            storeMetrics.patches.inc({ store: this.name, outcome: "retry" });
            this.#log.warn({ shard, reason: failureReason(error), delayMs }, "store patch failed; retrying");
          },
        },
      });
      this.#writers.set(shard, writer);
    }
    return writer;
  }

  #applyShard(object: StoreShardObject): void {
    for (const entry of this.#replica.apply(object)) this.#refresh(entry);
  }

  #refresh(entry: string): void {
    const local = this.#overlay.get(entry);
    this.views.set(entry, local ? (local.value ?? undefined) : this.#replica.get(entry));
  }

  #settle(write: PendingWrite): void {
    if (this.#overlay.get(write.entry)?.seq !== write.seq) return;
    this.#overlay.delete(write.entry);
    this.#refresh(write.entry);
  }

  #acked(writes: readonly PendingWrite[], object: StoreShardObject): void {
    storeMetrics.patches.inc({ store: this.name, outcome: "ok" });
    this.#applyShard(object);
    const now = this.clock.now();
    for (const write of writes) {
      this.#settle(write);
      storeMetrics.ackSeconds.observe({ store: this.name }, (now - write.enqueuedAt) / 1000);
      for (const waiter of write.waiters) waiter.resolve();
    }
  }

  #rejected(write: PendingWrite, error: unknown): void {
    storeMetrics.patches.inc({ store: this.name, outcome: "rejected" });
    storeMetrics.rejectedWrites.inc({ store: this.name });
    this.#settle(write);
    this.#log.error({ key: write.entry, reason: failureReason(error) }, "the API server refused a store write");
    const rejection = this.#writeError(write.entry, write.value, error);
    for (const waiter of write.waiters) waiter.reject(rejection);
  }

  #writeError(entry: string, value: string | null, error: unknown): StoreWriteError {
    return new StoreWriteError(
      entry,
      `the API server refused the store write of "${entry}" (${failureReason(error)}): ${redactedMessage(error, value)}`,
    );
  }
}
