import type { KubernetesObject } from "../k8s/index.ts";
import type { Indexers, InformerEvent } from "./types.ts";

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: KubernetesObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error(`cannot cache a ${object.kind ?? "object"} without metadata.name`);
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

const namespaceIndex = "namespace";

/**
 * The objects an informer knows, keyed by namespace/name, with secondary indexes (always by
 * namespace, plus any indexers given). Every change returns the events it amounts to, so the
 * informer delivers exactly what the cache did.
 */
export class ObjectCache<T extends KubernetesObject = KubernetesObject> {
  readonly #objects = new Map<string, T>();
  readonly #indexers: Indexers;
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Indexers = {}) {
    this.#indexers = { ...indexers, [namespaceIndex]: (o) => [o.metadata?.namespace ?? ""] };
    for (const name of Object.keys(this.#indexers)) this.#indexes.set(name, new Map());
  }

  get size(): number {
    return this.#objects.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(keyOf(namespace, name));
  }

  /** All objects, or those of one namespace. */
  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.#objects.values()];
    return this.byIndex(namespaceIndex, namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.#indexes.get(indexName);
    if (!index) throw new Error(`no index named ${indexName}; pass it in the informer's indexers`);
    const result: T[] = [];
    for (const key of index.get(value) ?? []) {
      const object = this.#objects.get(key);
      if (object) result.push(object);
    }
    return result;
  }

  /** Applies one watch event; returns what subscribers should see (nothing for a no-op such as a DELETED of an unknown object). */
  apply(type: InformerEvent["type"], object: T): InformerEvent<T> | undefined {
    const key = objectKey(object);
    const previous = this.#objects.get(key);
    if (type === "DELETED") {
      if (!previous) return undefined;
      this.#remove(key, previous);
      return { type, object, previous };
    }
    this.#put(key, object, previous);
    return previous ? { type: "MODIFIED", object, previous } : { type: "ADDED", object };
  }

  /**
   * Replaces the contents with a fresh LIST and returns the difference: DELETED for objects that
   * vanished, ADDED for new ones, MODIFIED for those whose resourceVersion changed (compared as
   * opaque strings), and DELETED then ADDED for an object deleted and recreated under the same name.
   */
  replace(items: readonly T[]): InformerEvent<T>[] {
    const events: InformerEvent<T>[] = [];
    const fresh = new Map<string, T>();
    for (const item of items) fresh.set(objectKey(item), item);
    for (const [key, previous] of this.#objects) {
      if (!fresh.has(key)) {
        this.#remove(key, previous);
        events.push({ type: "DELETED", object: previous, previous });
      }
    }
    for (const [key, object] of fresh) {
      const previous = this.#objects.get(key);
      if (!previous) {
        this.#put(key, object, undefined);
        events.push({ type: "ADDED", object });
      } else if (previous.metadata?.uid !== object.metadata?.uid) {
        this.#remove(key, previous);
        events.push({ type: "DELETED", object: previous, previous });
        this.#put(key, object, undefined);
        events.push({ type: "ADDED", object });
      } else if (previous.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
        this.#put(key, object, previous);
        events.push({ type: "MODIFIED", object, previous });
      }
    }
    return events;
  }

  #put(key: string, object: T, previous: T | undefined): void {
    if (previous) this.#unindex(key, previous);
    this.#objects.set(key, object);
    for (const [name, indexer] of Object.entries(this.#indexers)) {
      const index = this.#indexes.get(name);
      if (!index) continue;
      for (const value of indexer(object)) {
        const keys = index.get(value);
        if (keys) keys.add(key);
        else index.set(value, new Set([key]));
      }
    }
  }

  #remove(key: string, previous: T): void {
    this.#unindex(key, previous);
    this.#objects.delete(key);
  }

  #unindex(key: string, object: T): void {
    for (const [name, indexer] of Object.entries(this.#indexers)) {
      const index = this.#indexes.get(name);
      if (!index) continue;
      for (const value of indexer(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
