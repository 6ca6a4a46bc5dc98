/** Plain JSON data: what an AdmissionReview carries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A deep copy of parsed JSON (faster than structuredClone for plain data; `undefined` members are dropped as JSON does). */
export function cloneJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneJson(value[i]);
    return copy as T;
  }
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) copy[key] = cloneJson(member);
  }
  return copy as T;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Ramda's `mergeDeepRight`: objects merge recursively, anything else from `right` replaces. Mutates `left`. */
export function mergeDeepInto(left: Record<string, unknown>, right: Record<string, unknown>): void {
  for (const key in right) {
    const incoming = right[key];
    const current = left[key];
    if (isPlainObject(incoming) && isPlainObject(current)) mergeDeepInto(current, incoming);
    else left[key] = isPlainObject(incoming) || Array.isArray(incoming) ? cloneJson(incoming) : incoming;
  }
}
