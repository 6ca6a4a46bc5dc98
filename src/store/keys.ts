/** Longest key a Store accepts, in UTF-8 bytes (capability prefix not counted). */
export const MAX_KEY_BYTES = 512;
/** Largest value a Store accepts, in UTF-8 bytes. A shard object holds at most ~1.4 MiB (etcd's limit). */
export const MAX_VALUE_BYTES = 512 * 1024;
/** Keys of schedule state live under `schedule:<capability>/`, a prefix no capability name can take. */
export const SCHEDULE_PREFIX = "schedule:";

/** A Store call with bad input: says what was wrong and what to do instead. */
export class StoreInputError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "StoreInputError";
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

export function validateKey(operation: string, key: unknown): asserts key is string {
  if (typeof key !== "string" || key === "") {
    throw new StoreInputError(`Store.${operation}: the key must be a non-empty string, got ${describe(key)}`);
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no encoding to be within bounds.
  const bytes = key.length * 3 <= MAX_KEY_BYTES ? key.length : byteLength(key);
  if (bytes > MAX_KEY_BYTES) {
    throw new StoreInputError(
      `Store.${operation}: the key "${key.slice(0, 40)}…" is ${bytes} bytes; keys may be at most ${MAX_KEY_BYTES} bytes`,
    );
  }
}

export function validateValue(operation: string, key: string, value: unknown): asserts value is string {
  if (typeof value !== "string") {
    throw new StoreInputError(
      `Store.${operation}("${key}"): the value must be a string, got ${describe(value)}; store other data with JSON.stringify`,
    );
  }
  const bytes = value.length * 3 <= MAX_VALUE_BYTES ? value.length : byteLength(value);
  if (bytes > MAX_VALUE_BYTES) {
    throw new StoreInputError(
      `Store.${operation}("${key}"): the value is ${bytes} bytes; values may be at most ${MAX_VALUE_BYTES} bytes (spread large data over several keys)`,
    );
  }
}

/** A view name (capability name, or `schedule:<capability>`) must not contain "/": it ends at the first one. */
export function validatePrefix(prefix: string): void {
  if (prefix === "" || prefix.includes("/")) {
    throw new StoreInputError(`a Store needs a capability name without "/", got "${prefix}"`);
  }
}

/** The name an entry has in a shard's `data`: `<capability>/<key>`. */
export function dataKey(prefix: string, key: string): string {
  return `${prefix}/${key}`;
}

/** Splits `<capability>/<key>`; undefined for entries that are not capstan's. */
export function splitDataKey(entry: string): { prefix: string; key: string } | undefined {
  const slash = entry.indexOf("/");
  if (slash <= 0 || slash === entry.length - 1) return undefined;
  return { prefix: entry.slice(0, slash), key: entry.slice(slash + 1) };
}

/** The JSON Pointer of an entry inside a shard object (RFC 6901 escaping). */
export function entryPointer(entry: string): string {
  return `/data/${entry.replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
