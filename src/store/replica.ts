import type { StoreShardObject } from "./crd.ts";

interface ShardState {
  readonly resourceVersion: bigint | undefined;
  readonly data: Readonly<Record<string, string>>;
}

function parseVersion(resourceVersion: string | undefined): bigint | undefined {
  if (!resourceVersion || !/^\d+$/.test(resourceVersion)) return undefined;
  return BigInt(resourceVersion);
}

/**
 * This process's copy of every shard of a store, fed by the watch and by the objects our own
 * patches return. A shard state is only replaced by a newer one (etcd revisions order them), so a
 * patch response never rolls back what a later watch event already delivered, and vice versa.
 */
export class StoreReplica {
  readonly #shards = new Map<string, ShardState>();
  readonly #entries = new Map<string, string>();

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

  /** Takes a shard object if it is newer than what we hold; returns the entries whose value changed. */
  apply(object: StoreShardObject): string[] {
    const name = object.metadata?.name;
    if (!name) return [];
    const incoming = parseVersion(object.metadata?.resourceVersion);
    const current = this.#shards.get(name);
    if (current?.resourceVersion !== undefined && incoming !== undefined && incoming <= current.resourceVersion) {
      return [];
    }
    const data = object.data ?? {};
    this.#shards.set(name, { resourceVersion: incoming, data });
    return this.#merge(current?.data ?? {}, data);
  }

  /** Forgets a deleted shard; returns the entries that went with it. */
  remove(shard: string): string[] {
    const current = this.#shards.get(shard);
    if (!current) return [];
    this.#shards.delete(shard);
    return this.#merge(current.data, {});
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
