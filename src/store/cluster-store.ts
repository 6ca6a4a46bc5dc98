import type { Informer } from "../informer/index.ts";
import { sharedInformer } from "../informer/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { InvalidError } from "../k8s/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { Backoff, type Clock, systemClock } from "../time/index.ts";
import type { StoreBackend, UpdateFunction } from "./backend.ts";
import { type StoreShardObject, storeKind } from "./crd.ts";
import { classifyFailure, failureReason, redactedMessage, StoreWriteError } from "./failures.ts";
import { dataKey, entryPointer, validateValue } from "./keys.ts";
import { entryPath, MIN_DEPTH, SHARD_LIMIT_BYTES, SHARD_LIMIT_ENTRIES, ShardLayout } from "./layout.ts";
import { Limiter } from "./limiter.ts";
import { storeMetrics } from "./metrics.ts";
import { StoreReplica } from "./replica.ts";
import { clusterShardApi, type PatchOperation, type ShardApi, STORE_LABEL, WHILE_OPEN } from "./shard-api.ts";
import { finishSplit, type SplitResult, splitShard } from "./shard-split.ts";
import { operationsOf, type PendingWrite, ShardWriter } from "./shard-writer.ts";
import { ViewBackedStore } from "./views.ts";

/** What feeds the replica: the shared informer of the store's shards (or a stand-in in tests). */
export type StoreFeed = Pick<Informer<StoreShardObject>, "subscribe" | "start" | "waitForSync" | "stop" | "list">;

const UPDATE_MAX_ATTEMPTS = 200;
const CONTENDED_FOR_MS = 5_000;

export interface ClusterStoreOptions {
  readonly client: ApiClient;
  /** Where the shard objects live (the module's namespace, e.g. `capstan-system`). */
  readonly namespace: string;
  /** The store's name; shards are `<name>-000` … (see `ShardLayout`) and carry the label `capstan.dev/store=<name>`. */
  readonly name: string;
  readonly clock?: Clock;
  /**
   * Patches in flight at once across all shards. Default 2: under load, fewer and larger patches
   * cost the API server less than many small ones (measured: 2 beat 4 and 8 for bursts and for
   * steady streams of writes).
   */
  readonly maxInFlight?: number;
  /**
   * Create the store's top-level shards, empty, once the replica has synced, so that first writes
   * patch them instead of racing other replicas to create them. Default true.
   */
  readonly createShardsAhead?: boolean;
  readonly api?: ShardApi;
  readonly feed?: StoreFeed;
  /**
   * Runs once the replica has synced and before the store is ready (`whenReady`, `onReady`):
   * Pepr mode imports the PeprStore here, so no callback sees the store without its data. Retried
   * with backoff while it throws. `signal` aborts when the store is closed.
   */
  readonly beforeReady?: (store: ClusterStore, signal: AbortSignal) => Promise<void>;
  /** Adds each written value to the debug line `store write queued` (the runtime's CAPSTAN_STORE_LOG_VALUES). Default false. */
  readonly logValues?: boolean;
}

/**
 * A module's Store in the cluster: shard objects of the CapstanStore CRD, a local replica fed by a
 * watch, and per-shard writers that send JSON patches of per-key operations. Reads are local and
 * synchronous; this process sees its own writes at once (an overlay until they are acknowledged).
 */
export class ClusterStore extends ViewBackedStore implements StoreBackend {
  readonly name: string;
  readonly namespace: string;
  readonly #layout: ShardLayout;
  readonly #createShardsAhead: boolean;
  readonly #api: ShardApi;
  readonly #feed: StoreFeed;
  readonly #replica: StoreReplica;
  /** Splits under way in this process, by shard: a shard's writers and updates wait for the same one. */
  readonly #splits = new Map<string, Promise<boolean>>();
  readonly #overlay = new Map<string, PendingWrite>();
  readonly #writers = new Map<string, ShardWriter>();
  readonly #limiter: Limiter;
  /** The last `update` of each entry in this process: updates of one key queue here instead of conflicting with each other. */
  readonly #updates = new Map<string, Promise<unknown>>();
  /** When an update of an entry last lost to another writer. */
  readonly #contended = new Map<string, number>();
  readonly #log: Logger;
  readonly #logValues: boolean;
  readonly #ready: Promise<void>;
  readonly #beforeReady: ClusterStoreOptions["beforeReady"];
  readonly #closing = new AbortController();
  #markReady!: () => void;
  #isReady = false;
  #isSynced = false;
  #seq = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(options: ClusterStoreOptions) {
    super(options.clock ?? systemClock);
    this.name = options.name;
    this.namespace = options.namespace;
    this.#layout = new ShardLayout(options.name);
    this.#createShardsAhead = options.createShardsAhead ?? true;
    this.#replica = new StoreReplica(this.#layout);
    this.#api = options.api ?? clusterShardApi(options.client, options.namespace, options.name);
    this.#feed =
      options.feed ??
      sharedInformer<StoreShardObject>(options.client, {
        kind: storeKind,
        namespace: options.namespace,
        labelSelector: `${STORE_LABEL}=${options.name}`,
      });
    this.#limiter = new Limiter(options.maxInFlight ?? 2);
    this.#log = Log.child({ component: "store", store: options.name, namespace: options.namespace });
    this.#logValues = options.logValues ?? false;
    this.#ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    this.#beforeReady = options.beforeReady;
  }

  /** Starts the watch; `whenReady` resolves once the replica holds every shard. */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#feed.subscribe((event) => {
      if (event.type === "DELETED") {
        this.#removeShard(event.object.metadata?.name ?? "", event.object.metadata?.resourceVersion);
      } else {
        this.#applyShard(event.object);
      }
    });
    this.#feed.start();
    void this.#feed.waitForSync().then(
      () => {
        // A shared informer that synced earlier replays its cache to us later; take the cache now.
        for (const shard of this.#feed.list()) this.#applyShard(shard);
        this.#isSynced = true;
        this.#log.info({ entries: this.#replica.size }, "store replica synced");
        const ahead = this.#createShardsAhead ? this.#createMissingShards() : Promise.resolve();
        // Without a step, ready at once; a step (the Pepr import) writes into the shards made ahead.
        if (this.#beforeReady) void ahead.then(() => this.#prepare());
        else this.#becomeReady();
      },
      (error: unknown) => this.#log.warn({ err: error }, "store replica stopped before it synced"),
    );
  }

  /** Runs `beforeReady` until it succeeds, then marks the store ready; a store closed meanwhile never becomes ready. */
  async #prepare(): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    const signal = this.#closing.signal;
    while (this.#beforeReady) {
      if (signal.aborted) return;
      try {
        await this.#beforeReady(this, signal);
        break;
      } catch (error) {
        if (signal.aborted) return;
        const delayMs = backoff.next();
        this.#log.error({ err: error, delayMs }, "store not ready: preparing it failed; retrying");
        await this.#sleep(delayMs);
      }
    }
    this.#becomeReady();
  }

  #becomeReady(): void {
    this.#isReady = true;
    this.#markReady();
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
      if (this.#logValues) this.#log.debug({ key: entry, storedValue: value }, "store write queued");
      this.#overlay.set(entry, write);
      // Queue before updating the views: the writer's flush is then scheduled ahead of the
      // subscriber call the change causes, so the patch does not wait for subscribers.
      this.#enqueue(write);
      this.views.set(entry, value ?? undefined);
    });
  }

  update(prefix: string, key: string, fn: UpdateFunction): Promise<string | null> {
    return this.updateEntry(dataKey(prefix, key), fn, key);
  }

  /** An entry's value as this replica holds it, including entries outside any capability (capstan's own records). */
  getEntry(entry: string): string | null {
    const local = this.#overlay.get(entry);
    return local ? local.value : (this.#replica.get(entry) ?? null);
  }

  /** Every entry this replica holds, as stored (`<capability>/<key>` and capstan's own records). */
  entries(): Map<string, string> {
    const entries = new Map(this.#replica.entries());
    for (const [entry, write] of this.#overlay) {
      if (write.value === null) entries.delete(entry);
      else entries.set(entry, write.value);
    }
    return entries;
  }

  /** `update` of a raw entry (a record of capstan's own, such as the Pepr import marker). */
  updateEntry(entry: string, fn: UpdateFunction, key = entry): Promise<string | null> {
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
    await this.#settled(entry);
    let shard = this.#route(entry);
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
        // A shard this replica has not seen: a new store's, or the child of a split one.
        ({ current, version } = await this.#read(shard, entry));
        if (version === undefined) {
          const created = await this.#api.create(shard);
          if (created) this.#applyShard(created);
          ({ current, version } = await this.#read(shard, entry));
        }
        continue;
      }
      const precondition: PatchOperation =
        current === null
          ? { op: "test", path: "/metadata/resourceVersion", value: version }
          : { op: "test", path: entryPointer(entry), value: current };
      try {
        const object = await this.#api.patch(shard, [
          WHILE_OPEN,
          precondition,
          ...operationsOf({ entry, value: next }),
        ]);
        this.#applyShard(object);
        return next;
      } catch (error) {
        const action = classifyFailure(error);
        if (error instanceof InvalidError) {
          if (await this.#finishIfClosed(shard)) {
            shard = this.#route(entry);
            ({ current, version } = await this.#read(shard, entry));
            continue;
          }
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
        } else if (action === "full" && (await this.#split(shard))) {
          shard = this.#route(entry);
          ({ current, version } = await this.#read(shard, entry));
          continue;
        } else if (action === "reject" || action === "full") {
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

  /**
   * Creates the shards of a new store, empty, so that the first burst of writes patches them
   * instead of racing other replicas to create them (a lost race costs a 409 and a second round
   * trip on the write path).
   */
  async #createMissingShards(): Promise<void> {
    for (const shard of this.#layout.roots()) {
      if (this.#replica.has(shard) || this.#writers.has(shard)) continue;
      try {
        const object = await this.#api.create(shard);
        if (object) this.#applyShard(object);
      } catch (error) {
        this.#log.debug({ shard, reason: failureReason(error) }, "could not create a store shard ahead of writes");
      }
    }
  }

  /** Resolves when every write queued so far has been acknowledged or refused (however long that takes). */
  async flushed(): Promise<void> {
    // Writes handed from a split shard to its children's writers are waited for in a later pass.
    do {
      await Promise.all([...this.#writers.values()].map((writer) => writer.idle()));
      await Promise.all(this.#splits.values());
    } while (this.pendingWrites > 0);
  }

  /** Waits until this process has no write of `entry` on its way. */
  async #settled(entry: string): Promise<void> {
    while (this.#overlay.has(entry)) {
      const writer = this.#writers.get(this.#route(entry));
      if (writer) await writer.idle();
      if (this.#overlay.has(entry)) await this.flushed();
    }
  }

  /** Waits (at most `timeoutMs`) for queued writes to be acknowledged, then stops the watch. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#closing.abort(new Error("the store was closed"));
    const idle = this.flushed();
    const timedOut = await Promise.race([idle.then(() => false), this.#sleep(timeoutMs).then(() => true)]);
    if (timedOut) this.#log.error({ pending: this.pendingWrites }, "store closed with writes not yet acknowledged");
    this.#unsubscribe?.();
    await this.#feed.stop();
  }

  async #read(shard: string, entry: string): Promise<{ current: string | null; version: string | undefined }> {
    const object = await this.#api.read(shard);
    if (object) this.#applyShard(object);
    const value: unknown = object?.data?.[entry];
    return { current: typeof value === "string" ? value : null, version: object?.metadata?.resourceVersion };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  /** The shard an entry goes to: the one holding its path in the replica, or its top-level shard in a new store. */
  #route(entry: string): string {
    const path = entryPath(entry);
    return this.#replica.shardFor(path) ?? this.#layout.nameAt(path, MIN_DEPTH);
  }

  #enqueue(write: PendingWrite): void {
    this.#writerFor(this.#route(write.entry)).enqueue(write);
  }

  #writerFor(shard: string): ShardWriter {
    let writer = this.#writers.get(shard);
    if (!writer) {
      writer = new ShardWriter({
        shard,
        api: this.#api,
        clock: this.clock,
        limiter: this.#limiter,
        // Only a top-level shard can be missing: a deeper one exists once its parent is split.
        missing: () => this.#isSynced && !this.#replica.has(shard) && this.#layout.pathOf(shard)?.length === MIN_DEPTH,
        room: () => ({
          bytes: SHARD_LIMIT_BYTES - this.#replica.bytes(shard),
          entries: SHARD_LIMIT_ENTRIES - this.#replica.count(shard),
          holds: (entry) => this.#replica.holds(shard, entry),
        }),
        hooks: {
          acked: (writes, object) => this.#acked(writes, object),
          rejected: (write, error) => this.#rejected(write, error),
          retrying: (error, delayMs) => {
            storeMetrics.patches.inc({ store: this.name, outcome: "retry" });
            this.#log.warn({ shard, reason: failureReason(error), delayMs }, "store patch failed; retrying");
          },
          // An empty shard refused as too large is not full: the write itself is too large.
          split: (why) =>
            why === "refused" && this.#replica.bytes(shard) === 0 ? Promise.resolve(false) : this.#split(shard),
          closed: () => this.#finishIfClosed(shard),
          moved: (writes) => this.#moved(shard, writes),
        },
      });
      this.#writers.set(shard, writer);
    }
    return writer;
  }

  /** Routes again the writes of a shard that is gone; a write with a later one of its entry on the way is answered with that one. */
  #moved(shard: string, writes: readonly PendingWrite[]): void {
    this.#writers.delete(shard);
    for (const write of writes) {
      const latest = this.#overlay.get(write.entry);
      if (latest === write) this.#enqueue(write);
      else if (latest) latest.waiters.push(...write.waiters);
      else for (const waiter of write.waiters) waiter.resolve();
    }
  }

  /** Splits a full shard (one split per shard at a time in this process); true when the shard is split. */
  #split(shard: string): Promise<boolean> {
    return this.#once(shard, () => splitShard(this.#api, this.#layout, shard));
  }

  /** After a write failed its test that the shard is open: finishes the split under way, if that is why; true when the shard is split. */
  #finishIfClosed(shard: string): Promise<boolean> {
    return this.#once(shard, () => finishSplit(this.#api, this.#layout, shard));
  }

  #once(shard: string, run: () => Promise<SplitResult>): Promise<boolean> {
    let running = this.#splits.get(shard);
    if (!running) {
      running = this.#splitting(shard, run).finally(() => this.#splits.delete(shard));
      this.#splits.set(shard, running);
    }
    return running;
  }

  async #splitting(shard: string, run: () => Promise<SplitResult>): Promise<boolean> {
    try {
      const result = await run();
      if (result.outcome === "split") {
        // Children first: the parent's new state then hands its entries to them.
        for (const object of result.objects) this.#applyShard(object);
        if (result.marked) {
          storeMetrics.splits.inc({ store: this.name });
          this.#log.info({ shard }, "store shard split in two");
        }
        return true;
      }
      if (result.outcome === "deepest") {
        this.#log.warn({ shard }, "store shard is full and at the deepest level; writing it anyway");
      }
    } catch (error) {
      this.#log.warn({ shard, reason: failureReason(error) }, "could not split a full store shard; writing it anyway");
    }
    return false;
  }

  #removeShard(shard: string, resourceVersion?: string): void {
    for (const entry of this.#replica.remove(shard, resourceVersion)) this.#refresh(entry);
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
