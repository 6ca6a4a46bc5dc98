import type { ResolvedKind } from "./kinds.ts";

/**
 * The API path of a kind's collection or of one object: `/api/v1/namespaces/ns/pods/name/log`.
 * A namespace is ignored for cluster-scoped kinds and optional for collections (all namespaces).
 */
export function resourcePath(
  kind: ResolvedKind,
  target: { namespace?: string | undefined; name?: string | undefined; subresource?: string | undefined } = {},
): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  const namespace = kind.namespaced && target.namespace ? `/namespaces/${encodeURIComponent(target.namespace)}` : "";
  let path = `${base}${namespace}/${kind.plural}`;
  if (target.name) path += `/${encodeURIComponent(target.name)}`;
  if (target.subresource) {
    if (!target.name) throw new Error(`the ${target.subresource} subresource of ${kind.kind} needs an object name`);
    path += `/${target.subresource}`;
  }
  return path;
}
