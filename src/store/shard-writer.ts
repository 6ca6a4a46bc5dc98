import { ApiError, InvalidError } from "../k8s/index.ts";
import type { Clock, TimerHandle } from "../time/index.ts";
import { Backoff } from "../time/index.ts";
import type { StoreShardObject } from "./crd.ts";
import { classifyFailure } from "./failures.ts";
import { byteLength, entryPointer } from "./keys.ts";
import type { Limiter } from "./limiter.ts";
import { type PatchOperation, type ShardApi, WHILE_OPEN } from "./shard-api.ts";

export interface WriteWaiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** One pending change of one entry: a value to set, or null to remove it. */
export interface PendingWrite {
  readonly entry: string;
  readonly value: string | null;
  /** Increases with every write of this process; tells a write from a later one of the same entry. */
  readonly seq: number;
  readonly enqueuedAt: number;
  readonly waiters: WriteWaiter[];
}

export interface ShardWriterHooks {
  /** The API server stored these writes; `shard` is the object it returned. */
  acked(writes: readonly PendingWrite[], shard: StoreShardObject): void;
  /** The API server refused this single write for good. */
  rejected(write: PendingWrite, error: unknown): void;
  /** A request failed and will be retried after `delayMs`. */
  retrying(error: unknown, delayMs: number): void;
  /**
   * The shard is too full for the next write: split it. Resolves true when the shard is gone (its
   * writes then go back to the store, to be sent to its children), false when it could not split.
   */
  split(why: "full" | "refused"): Promise<boolean>;
  /**
   * A patch failed its test that the shard is open. Resolves true when the shard is being split or
   * is split (the split is finished and the writes go back to the store, for its children).
   */
  closed(): Promise<boolean>;
  /** Writes handed back because the shard is gone; the store routes them again. */
  moved(writes: readonly PendingWrite[]): void;
}

export interface ShardRoom {
  /** Room for keys and values, in UTF-16 code units (bytes, for ASCII); writes count their UTF-8 bytes against it. */
  readonly bytes: number;
  readonly entries: number;
  /** Whether the shard holds an entry already (a new value for it takes no entry). */
  readonly holds: (entry: string) => boolean;
}

const UNLIMITED: ShardRoom = { bytes: Number.POSITIVE_INFINITY, entries: Number.POSITIVE_INFINITY, holds: () => false };

export interface ShardWriterOptions {
  readonly shard: string;
  readonly api: ShardApi;
  readonly clock: Clock;
  readonly hooks: ShardWriterHooks;
  /** Shared by the store's writers: bounds the patches in flight, so writes coalesce when the server is the bottleneck. */
  readonly limiter: Limiter;
  /**
   * Whether the store knows this shard does not exist yet (its replica has synced without seeing
   * it). The writer then creates the shard with the batch's values in one request instead of a
   * patch that fails with 404, a create, and the patch again.
   */
  readonly missing?: () => boolean;
  /** What the shard can still take before it must split (default: no limit). Removals take nothing. */
  readonly room?: () => ShardRoom;
  readonly maxOperations?: number;
  readonly maxBytes?: number;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

/** The JSON-patch operations of one write. A removal adds the entry first, so removing an absent key cannot fail the patch. */
export function operationsOf(write: Pick<PendingWrite, "entry" | "value">): PatchOperation[] {
  const path = entryPointer(write.entry);
  if (write.value !== null) return [{ op: "add", path, value: write.value }];
  return [
    { op: "add", path, value: "" },
    { op: "remove", path },
  ];
}

/** The values a batch leaves in a shard that did not exist: removals of absent keys change nothing. */
export function initialData(batch: readonly Pick<PendingWrite, "entry" | "value">[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const write of batch) if (write.value !== null) data[write.entry] = write.value;
  return data;
}

/**
 * Sends the writes of one shard, one patch at a time so the server sees them in the order they
 * were made. A write waits for nothing when the store is idle (it goes out on the next turn of
 * the event loop); while a patch of the shard is in flight, or the store has its maximum of
 * patches in flight, new writes coalesce into the next patch. Failed
 * patches are retried with backoff; a patch the server refuses is split until the refused write
 * is found, and only that write is rejected.
 */
export class ShardWriter {
  readonly shard: string;
  readonly #options: ShardWriterOptions;
  readonly #backoff: Backoff;
  readonly #next = new Map<string, PendingWrite>();
  readonly #batches: PendingWrite[][] = [];
  readonly #idle: (() => void)[] = [];
  #flushing = false;
  #timer: TimerHandle | undefined;

  constructor(options: ShardWriterOptions) {
    this.shard = options.shard;
    this.#options = options;
    this.#backoff = new Backoff({
      initialMs: options.backoff?.initialMs ?? 100,
      maxMs: options.backoff?.maxMs ?? 10_000,
    });
  }

  /** Writes not yet acknowledged (queued or in flight). */
  get pending(): number {
    return this.#next.size + this.#batches.reduce((sum, batch) => sum + batch.length, 0) + (this.#flushing ? 1 : 0);
  }

  /** Whether a write of this entry is queued (not yet sent). */
  queued(entry: string): PendingWrite | undefined {
    return this.#next.get(entry);
  }

  enqueue(write: PendingWrite): void {
    const queued = this.#next.get(write.entry);
    if (queued && queued.seq > write.seq) {
      // A write handed back from a split shard, older than one already queued here: the later value wins.
      queued.waiters.unshift(...write.waiters);
      return;
    }
    if (queued) {
      // The later value wins; whoever waited for the earlier one is answered with it.
      write.waiters.unshift(...queued.waiters);
      this.#next.delete(write.entry);
    }
    this.#next.set(write.entry, write);
    if (!this.#flushing && !this.#timer) {
      this.#timer = this.#options.clock.setTimeout(() => {
        this.#timer = undefined;
        void this.#flush();
      }, 0);
    }
  }

  /** Resolves when every write enqueued so far has been acknowledged or rejected. */
  idle(): Promise<void> {
    if (!this.#flushing && !this.#timer && this.#next.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      for (;;) {
        const release = await this.#options.limiter.acquire();
        try {
          const room = this.#options.room?.() ?? UNLIMITED;
          // What is queued will not fit: split first, while the shard holds least (a new store's
          // bulk load then goes straight to shards of the right size instead of being copied down).
          if (this.#batches.length === 0 && this.#overflows(room) && (await this.#options.hooks.split("full"))) {
            this.#handBack([]);
            break;
          }
          let batch = this.#batches.shift() ?? this.#take(room);
          if (!batch && this.#next.size > 0) {
            // The next write does not fit: split the shard, or send it anyway if it cannot split.
            if (await this.#options.hooks.split("full")) {
              this.#handBack([]);
              break;
            }
            batch = this.#take(UNLIMITED);
          }
          if (!batch) break;
          if ((await this.#send(batch)) === "moved") {
            this.#handBack(batch);
            break;
          }
        } finally {
          release();
        }
      }
    } finally {
      this.#flushing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** The next batch: queued writes up to the patch limits, within the room the shard has left. */
  #take(room: ShardRoom): PendingWrite[] | undefined {
    const maxOperations = this.#options.maxOperations ?? 500;
    const maxBytes = this.#options.maxBytes ?? 1024 * 1024;
    const batch: PendingWrite[] = [];
    let bytes = 0;
    let addedBytes = 0;
    let addedEntries = 0;
    for (const write of this.#next.values()) {
      const entryBytes = byteLength(write.entry);
      const stored = write.value === null ? 0 : entryBytes + byteLength(write.value);
      const newEntry = write.value !== null && !room.holds(write.entry) ? 1 : 0;
      const size = entryBytes + stored + 48;
      if (addedBytes + stored > room.bytes || addedEntries + newEntry > room.entries) break;
      if (batch.length > 0 && (batch.length >= maxOperations || bytes + size > maxBytes)) break;
      batch.push(write);
      bytes += size;
      addedBytes += stored;
      addedEntries += newEntry;
    }
    for (const write of batch) this.#next.delete(write.entry);
    return batch.length > 0 ? batch : undefined;
  }

  /** Whether the queued writes would take the shard past its room. */
  #overflows(room: ShardRoom): boolean {
    let bytes = 0;
    let entries = 0;
    for (const write of this.#next.values()) {
      if (write.value === null) continue;
      bytes += write.entry.length + write.value.length;
      if (!room.holds(write.entry)) entries++;
      if (bytes > room.bytes || entries > room.entries) return true;
    }
    return false;
  }

  /** Gives every write not yet acknowledged back to the store: the shard is gone. */
  #handBack(batch: readonly PendingWrite[]): void {
    const writes = [...batch, ...this.#batches.flat(), ...this.#next.values()];
    this.#batches.length = 0;
    this.#next.clear();
    this.#options.hooks.moved(writes);
  }

  /** Sends one batch until it is stored or refused; `"moved"` when the shard turned out to be split. */
  async #send(batch: PendingWrite[]): Promise<"done" | "moved"> {
    const { api, hooks } = this.#options;
    const operations = [WHILE_OPEN, ...batch.flatMap(operationsOf)];
    let create = this.#options.missing?.() ?? false;
    for (;;) {
      let failure: unknown;
      try {
        const shard = create
          ? await api.create(this.shard, initialData(batch))
          : await api.patch(this.shard, operations);
        if (shard) {
          this.#backoff.reset();
          hooks.acked(batch, shard);
          return "done";
        }
        // Another writer created the shard first: patch it.
        create = false;
        continue;
      } catch (error) {
        failure = error;
      }
      let action = classifyFailure(failure);
      if (action === "missing") {
        // A create that finds nothing to create in (a missing namespace) is refused, not retried as missing.
        if (create) action = "reject";
        else {
          create = true;
          continue;
        }
      }
      if (action === "full") {
        if (await hooks.split("refused")) return "moved";
        action = "reject";
      }
      if (failure instanceof InvalidError && (await hooks.closed())) return "moved";
      if (action === "retry") {
        const retryAfter = failure instanceof ApiError ? failure.retryAfterSeconds : undefined;
        const delayMs = retryAfter ? this.#backoff.nextAfter(retryAfter) : this.#backoff.next();
        hooks.retrying(failure, delayMs);
        await new Promise<void>((resolve) => this.#options.clock.setTimeout(resolve, delayMs));
        continue;
      }
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        this.#batches.unshift(batch.slice(0, half), batch.slice(half));
        return "done";
      }
      const [write] = batch;
      if (write) hooks.rejected(write, failure);
      return "done";
    }
  }
}
