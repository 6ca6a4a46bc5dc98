import type { KubernetesObject } from "../k8s/index.ts";
import { cloneJson, isPlainObject, mergeDeepInto } from "./json.ts";

type MetadataMap = "labels" | "annotations";

export interface WorkingObjectOptions<T> {
  /**
   * Turns a full copy into what callbacks see (a Secret's `data` decoded). When set, `Merge` also
   * works on the full copy, since merged values are in that form.
   */
  readonly decode?: (copy: T) => void;
}

/**
 * What Mutate callbacks change, copied only as far as they reach. Until someone reads `Raw`, the
 * label and annotation helpers and `Merge` replace just the objects on the path they change and
 * share everything else with the original, so the diff skips the untouched subtrees by identity.
 * Invariant of that shared state: only the root object (a shallow copy) is ever written in place.
 * Reading or assigning `Raw` switches to a full deep copy that callbacks may change any way they
 * like, and the diff then walks the whole object.
 */
export class WorkingObject<T extends KubernetesObject = KubernetesObject> {
  readonly original: T;
  readonly #options: WorkingObjectOptions<T>;
  #current: T;
  #full: boolean;

  constructor(original: T, options: WorkingObjectOptions<T> = {}, current?: T, full = false) {
    this.original = original;
    this.#options = options;
    this.#current = current ?? { ...original };
    this.#full = full;
  }

  /** A working object that is already a full copy (`copy`), e.g. one a caller made itself. */
  static ofCopy<T extends KubernetesObject>(original: T, copy: T): WorkingObject<T> {
    return new WorkingObject(original, {}, copy, true);
  }

  /** Whether callbacks hold the full copy (they read or assigned `Raw`). */
  get isFull(): boolean {
    return this.#full;
  }

  /** The current object, for reading only. */
  peek(): T {
    return this.#current;
  }

  /** The full copy callbacks may change freely; made on first use. */
  raw(): T {
    if (!this.#full) {
      const copy = cloneJson(this.#current);
      this.#options.decode?.(copy);
      this.#current = copy;
      this.#full = true;
    }
    return this.#current;
  }

  /** `Raw = value`: the callback's own object becomes the working copy. */
  replace(value: T): void {
    this.#current = value;
    this.#full = true;
  }

  /** An independent copy to roll back to. */
  snapshot(): WorkingObject<T> {
    const current = this.#full ? cloneJson(this.#current) : { ...this.#current };
    return new WorkingObject(this.original, this.#options, current, this.#full);
  }

  /** `metadata.<map>[key] = value`, creating metadata and the map as needed (a new map, as Pepr does). */
  setEntry(map: MetadataMap, key: string, value: string): void {
    if (this.#full) {
      this.#current.metadata ??= {};
      this.#current.metadata[map] = { ...this.#current.metadata[map], [key]: value };
      return;
    }
    const metadata = this.#current.metadata;
    this.#current.metadata = { ...metadata, [map]: { ...metadata?.[map], [key]: value } };
  }

  /** Deletes `metadata.<map>[key]` if its value is non-empty (Pepr's check). */
  removeEntry(map: MetadataMap, key: string): void {
    const metadata = this.#current.metadata;
    const values = metadata?.[map];
    if (!metadata || !values?.[key]) return;
    if (this.#full) {
      delete values[key];
      return;
    }
    const remaining = { ...values };
    delete remaining[key];
    this.#current.metadata = { ...metadata, [map]: remaining };
  }

  /** Ramda's `mergeDeepRight` of `patch` into the object (objects merge, arrays and scalars replace). */
  merge(patch: Record<string, unknown>): void {
    if (this.#full || this.#options.decode) {
      mergeDeepInto(this.raw() as Record<string, unknown>, patch);
      return;
    }
    const root = this.#current as Record<string, unknown>;
    for (const key in patch) root[key] = merged(root[key], patch[key]);
  }
}

/** `current` with `incoming` merged in, as a new value: `current` and everything under it stay untouched. */
function merged(current: unknown, incoming: unknown): unknown {
  if (!isPlainObject(incoming)) return Array.isArray(incoming) ? cloneJson(incoming) : incoming;
  if (!isPlainObject(current)) return cloneJson(incoming);
  const result: Record<string, unknown> = { ...current };
  for (const key in incoming) result[key] = merged(current[key], incoming[key]);
  return result;
}
