const utf8 = new TextEncoder();

/** A new store has 2^MIN_DEPTH shards; a full shard splits into two at the next depth. */
export const MIN_DEPTH = 3;
/** 2^16 shards of ~768 KiB: far beyond what anyone should keep in a Store. */
export const MAX_DEPTH = 16;
/** A shard splits before a write would take its data past this many bytes (etcd refuses objects over ~1.5 MiB). */
export const SHARD_LIMIT_BYTES = 768 * 1024;
/**
 * ... or past this many entries: every patch costs the API server ~15 µs per entry of the shard
 * (it decodes, validates and encodes the whole object), so small values must not pile up either.
 */
export const SHARD_LIMIT_ENTRIES = 4096;

/**
 * FNV-1a over the entry's UTF-8 bytes, then a final mix so the high bits (which pick the shard)
 * depend on every byte. Stable across processes and versions: every replica picks the same shard.
 */
function entryHash(entry: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(entry)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** The entry's position in the shard tree: its hash as 32 binary digits, most significant first. */
export function entryPath(entry: string): string {
  return entryHash(entry).toString(2).padStart(32, "0");
}

/**
 * Where a store's entries live. Shards form a binary tree named by the leading bits of the entries'
 * hashes: `<store>-010` holds the entries whose hash starts with 010, and splits into `<store>-0100`
 * and `<store>-0101`. The shards that exist at any time cover every hash exactly once, except
 * while a split is under way, when the parent still exists and is the one that counts.
 */
export class ShardLayout {
  readonly store: string;
  readonly #prefix: string;

  constructor(store: string) {
    this.store = store;
    this.#prefix = `${store}-`;
  }

  /** The shard at `depth` on an entry path (or on a shard's own path). */
  nameAt(path: string, depth: number): string {
    return `${this.#prefix}${path.slice(0, depth)}`;
  }

  /** The shard's path (its binary digits), or undefined for an object that is not a shard of this store. */
  pathOf(name: string): string | undefined {
    if (!name.startsWith(this.#prefix)) return undefined;
    const path = name.slice(this.#prefix.length);
    return path.length >= MIN_DEPTH && path.length <= MAX_DEPTH && /^[01]+$/.test(path) ? path : undefined;
  }

  /** The shards a store starts with, one per MIN_DEPTH-digit path. */
  roots(): string[] {
    return Array.from({ length: 2 ** MIN_DEPTH }, (_, i) =>
      this.nameAt(i.toString(2).padStart(MIN_DEPTH, "0"), MIN_DEPTH),
    );
  }

  /** The two shards a full shard splits into; undefined at MAX_DEPTH. */
  childrenOf(name: string): [string, string] | undefined {
    const path = this.pathOf(name);
    if (path === undefined || path.length >= MAX_DEPTH) return undefined;
    return [this.nameAt(`${path}0`, path.length + 1), this.nameAt(`${path}1`, path.length + 1)];
  }

  /** The shards above this one, nearest last. */
  ancestorsOf(name: string): string[] {
    const path = this.pathOf(name) ?? "";
    const ancestors: string[] = [];
    for (let depth = MIN_DEPTH; depth < path.length; depth++) ancestors.push(this.nameAt(path, depth));
    return ancestors;
  }
}
