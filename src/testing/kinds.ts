import {
  type GroupVersionKind,
  isKnownKind,
  type KindClass,
  kindOf,
  models,
  type ResolvedKind,
  resolveKind,
} from "../k8s/index.ts";
import type { ModuleUnderTest } from "./module-under-test.ts";

let builtIns: Map<string, ResolvedKind> | undefined;

function key(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

function builtInKinds(): Map<string, ResolvedKind> {
  if (builtIns) return builtIns;
  builtIns = new Map();
  for (const model of Object.values(models)) {
    if (typeof model !== "function" || !isKnownKind(model as KindClass)) continue;
    const resolved = kindOf(model as KindClass);
    builtIns.set(key(resolved.apiVersion, resolved.kind), resolved);
  }
  return builtIns;
}

/**
 * The kind of an object from its apiVersion and kind: the module's own bindings first (custom
 * kinds), then the built-in models, else a guess (lower-case plural, namespaced) good enough offline.
 */
export function kindOfObject(
  object: { apiVersion?: string; kind?: string },
  module?: ModuleUnderTest,
  override?: GroupVersionKind,
): ResolvedKind {
  if (override) return resolveKind(override);
  const { apiVersion, kind } = object;
  if (!apiVersion || !kind) {
    throw new Error(
      `the object needs apiVersion and kind (got ${JSON.stringify({ apiVersion, kind })}): the kit reads its kind from them`,
    );
  }
  for (const capability of module?.capabilities ?? []) {
    for (const binding of capability.bindings) {
      if (binding.kind.apiVersion === apiVersion && binding.kind.kind === kind) return binding.kind;
    }
  }
  const known = builtInKinds().get(key(apiVersion, kind));
  if (known) return known;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return resolveKind({ group: group ?? "", version: version ?? "v1", kind });
}
