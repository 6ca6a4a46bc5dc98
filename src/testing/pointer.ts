import { isPlainObject } from "../model/index.ts";

/** `a.b.c` or `/a/b/c` (RFC 6901) → the segments. Dotted paths cannot name keys with dots: use a pointer. */
export function pathSegments(path: string): string[] {
  if (path === "" || path === "/") return [];
  if (path.startsWith("/")) {
    return path
      .slice(1)
      .split("/")
      .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
  }
  return path.split(".");
}

/** `/a/b~1c` for the segments. */
export function toPointer(segments: readonly string[]): string {
  return segments.map((segment) => `/${segment.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** The value at `path` in parsed JSON, or undefined when any step is missing. */
export function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const segment of pathSegments(path)) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isPlainObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}
