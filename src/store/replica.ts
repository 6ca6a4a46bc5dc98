import type { StoreShardObject } from "./crd.ts";
import { entryPath, MAX_DEPTH, MIN_DEPTH, type ShardLayout } from "./layout.ts";

interface ShardState {
  readonly resourceVersion: bigint | undefined;
  readonly state: StoreShardObject["state"];
  readonly data: Readonly<Record<string, string>>;
  bytes?: number;
  count?: number;
}

function parseVersion(resourceVersion: string | undefined): bigint | undefined {
  if (!resourceVersion || !/^\d+$/.test(resourceVersion)) return undefined;
  return BigInt(resourceVersion);
}

/**
 * The CRD does not type `data`'s values (typing them costs the API server per key on every patch),
 * so a value someone wrote by hand as a number or object is not a Store value: it reads as absent.
 */
function stringEntries(data: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, string>> {
  if (!data) return {};
  for (const entry in data) {
    if (typeof data[entry] !== "string") {
      return Object.fromEntries(
        Object.entries(data).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
      );
    }
  }
  return data as Readonly<Record<string, string>>;
}

/**
 * This process's copy of every shard of a store, fed by the watch and by the objects our own
 * requests return. A shard state is only replaced by a newer one (etcd revisions order them), so a
 * response never rolls back what a later watch event already delivered, and vice versa; a removed
 * shard stays removed for states older than its removal.
 *
 * An entry's value is the one in the first shard on its path, from the top, that is not `split`
 * (see `ShardLayout`): a sealed shard still counts, and its children are copies nobody reads yet.
 */
export class StoreReplica {
  readonly #layout: ShardLayout;
  readonly #shards = new Map<string, ShardState>();
  readonly #removed = new Map<string, bigint>();
  readonly #entries = new Map<string, string>();

  constructor(layout: ShardLayout) {
    this.#layout = layout;
  }

  get(entry: string): string | undefined {
    return this.#entries.get(entry);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#entries.entries();
  }

  get size(): number {
    return this.#entries.size;
  }

  has(shard: string): boolean {
    return this.#shards.has(shard);
  }

  resourceVersion(shard: string): string | undefined {
    return this.#shards.get(shard)?.resourceVersion?.toString();
  }

  /**
   * A shard's keys and values in UTF-16 code units (0 for a shard we do not hold): the UTF-8 size of
   * ASCII data. Non-ASCII data can be larger; the API server's refusal of an object that is too
   * large then splits the shard instead.
   */
  bytes(shard: string): number {
    const state = this.#shards.get(shard);
    if (!state) return 0;
    if (state.bytes === undefined) {
      let bytes = 0;
      for (const entry in state.data) bytes += entry.length + (state.data[entry]?.length ?? 0);
      state.bytes = bytes;
    }
    return state.bytes;
  }

  /** The number of entries a shard holds (0 for a shard we do not hold). */
  count(shard: string): number {
    const state = this.#shards.get(shard);
    if (!state) return 0;
    state.count ??= Object.keys(state.data).length;
    return state.count;
  }

  /** Whether a shard holds an entry. */
  holds(shard: string, entry: string): boolean {
    const data = this.#shards.get(shard)?.data;
    return data !== undefined && Object.hasOwn(data, entry);
  }

  /**
   * The shard that holds an entry path: the first on it from the top that is not split. Below a
   * split shard that is the child, even before this replica has seen it (it exists: a split creates
   * both children first). Undefined when the top-level shard does not exist yet.
   */
  shardFor(path: string): string | undefined {
    for (let depth = MIN_DEPTH; depth <= MAX_DEPTH; depth++) {
      const name = this.#layout.nameAt(path, depth);
      const state = this.#shards.get(name);
      if (state?.state !== "split") return state || depth > MIN_DEPTH ? name : undefined;
    }
    return undefined;
  }

  /** Takes a shard object if it is newer than what we hold; returns the entries whose value changed. */
  apply(object: StoreShardObject): string[] {
    const name = object.metadata?.name;
    if (!name || this.#layout.pathOf(name) === undefined) return [];
    const incoming = parseVersion(object.metadata?.resourceVersion);
    const removedAt = this.#removed.get(name);
    if (removedAt !== undefined && incoming !== undefined && incoming <= removedAt) return [];
    const current = this.#shards.get(name);
    if (current?.resourceVersion !== undefined && incoming !== undefined && incoming <= current.resourceVersion) {
      return [];
    }
    const data = stringEntries(object.data);
    const state: ShardState = { resourceVersion: incoming, state: object.state, data };
    this.#shards.set(name, state);
    if (current && current.state === state.state) {
      return this.#visible(name) ? this.#merge(current.data, data) : [];
    }
    // The shard is new or changed state (sealed, split): what reads come from may have moved.
    return this.#recompute(name, [current?.data ?? {}, data]);
  }

  /** Forgets a shard the server no longer has (someone deleted it); returns the entries whose value changed. */
  remove(shard: string, resourceVersion?: string): string[] {
    const current = this.#shards.get(shard);
    const removedAt = parseVersion(resourceVersion) ?? current?.resourceVersion;
    if (removedAt !== undefined) this.#removed.set(shard, removedAt);
    if (!current) return [];
    this.#shards.delete(shard);
    return this.#recompute(shard, [current.data]);
  }

  /** Whether reads of this shard's entries come from it: it is not split and nothing above it still holds them. */
  #visible(shard: string): boolean {
    if (this.#shards.get(shard)?.state === "split") return false;
    return this.#layout.ancestorsOf(shard).every((a) => (this.#shards.get(a)?.state ?? "split") === "split");
  }

  #lookup(entry: string): string | undefined {
    const shard = this.shardFor(entryPath(entry));
    const data = shard === undefined ? undefined : this.#shards.get(shard)?.data;
    return data && Object.hasOwn(data, entry) ? data[entry] : undefined;
  }

  /** Looks up again every entry of `datas` and of the shards below `shard`. */
  #recompute(shard: string, datas: readonly Readonly<Record<string, string>>[]): string[] {
    const entries = new Set<string>();
    for (const data of datas) for (const entry of Object.keys(data)) entries.add(entry);
    for (const [name, state] of this.#shards) {
      if (name.length > shard.length && name.startsWith(shard))
        for (const entry of Object.keys(state.data)) entries.add(entry);
    }
    const changed: string[] = [];
    for (const entry of entries) {
      const value = this.#lookup(entry);
      if (this.#entries.get(entry) === value) continue;
      if (value === undefined) this.#entries.delete(entry);
      else this.#entries.set(entry, value);
      changed.push(entry);
    }
    return changed;
  }

  #merge(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
    const changed: string[] = [];
    for (const [entry, value] of Object.entries(after)) {
      if (before[entry] === value) continue;
      this.#entries.set(entry, value);
      changed.push(entry);
    }
    for (const entry of Object.keys(before)) {
      if (Object.hasOwn(after, entry)) continue;
      this.#entries.delete(entry);
      changed.push(entry);
    }
    return changed;
  }
}
