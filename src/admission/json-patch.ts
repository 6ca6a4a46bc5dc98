import { isPlainObject } from "../model/index.ts";

/** One RFC 6902 operation; capstan emits add, remove and replace. */
export interface PatchOperation {
  readonly op: "add" | "remove" | "replace";
  readonly path: string;
  readonly value?: unknown;
}

function pointerSegment(key: string): string {
  return key.includes("~") || key.includes("/") ? key.replaceAll("~", "~0").replaceAll("/", "~1") : key;
}

/**
 * The RFC 6902 patch that turns `before` into `after` (both parsed JSON). It walks both trees once,
 * skips shared subtrees by identity, and emits one operation per changed member: replacing a whole
 * array only when its element types change, removing surplus array elements from the end.
 */
export function diffJson(before: unknown, after: unknown): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (!diffInto(before, after, "", ops)) ops.push({ op: "replace", path: "", value: after });
  return ops;
}

/** Appends the operations for one node; false when the node itself must be replaced by the caller. */
function diffInto(before: unknown, after: unknown, path: string, ops: PatchOperation[]): boolean {
  if (before === after) return true;
  if (Array.isArray(before)) {
    if (!Array.isArray(after)) return false;
    diffArray(before, after, path, ops);
    return true;
  }
  if (isPlainObject(before)) {
    if (!isPlainObject(after)) return false;
    diffObject(before, after, path, ops);
    return true;
  }
  return false;
}

function diffObject(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  path: string,
  ops: PatchOperation[],
) {
  for (const key in before) {
    if (before[key] !== undefined && after[key] === undefined)
      ops.push({ op: "remove", path: `${path}/${pointerSegment(key)}` });
  }
  for (const key in after) {
    const next = after[key];
    const previous = before[key];
    // Most members are unchanged: skip them before building any path string.
    if (next === previous || next === undefined) continue;
    const child = `${path}/${pointerSegment(key)}`;
    if (previous === undefined) ops.push({ op: "add", path: child, value: next });
    else if (!diffInto(previous, next, child, ops)) ops.push({ op: "replace", path: child, value: next });
  }
}

function diffArray(before: unknown[], after: unknown[], path: string, ops: PatchOperation[]) {
  const shared = Math.min(before.length, after.length);
  for (let i = 0; i < shared; i++) {
    if (before[i] === after[i]) continue;
    if (!diffInto(before[i], after[i], `${path}/${i}`, ops))
      ops.push({ op: "replace", path: `${path}/${i}`, value: after[i] });
  }
  for (let i = before.length - 1; i >= shared; i--) ops.push({ op: "remove", path: `${path}/${i}` });
  for (let i = shared; i < after.length; i++) ops.push({ op: "add", path: `${path}/${i}`, value: after[i] });
}

/** Applies add/remove/replace operations to parsed JSON (for tests and dry checks); returns the new root. */
export function applyPatch(target: unknown, ops: readonly PatchOperation[]): unknown {
  let root = target;
  for (const op of ops) {
    if (op.path === "") {
      root = op.value;
      continue;
    }
    const segments = op.path
      .slice(1)
      .split("/")
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = segments.pop() as string;
    let parent = root as Record<string, unknown> | unknown[];
    for (const segment of segments) parent = (parent as Record<string, unknown>)[segment] as typeof parent;
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (op.op === "add") parent.splice(index, 0, op.value);
      else if (op.op === "remove") parent.splice(index, 1);
      else parent[index] = op.value;
    } else if (op.op === "remove") delete parent[last];
    else parent[last] = op.value;
  }
  return root;
}
