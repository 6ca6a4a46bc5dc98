import type { InformerScope } from "../informer/index.ts";
import type { KubernetesObject } from "../k8s/index.ts";

/** Whether labels satisfy a selector of `key`, `key=value`, `key!=value` and `!key` terms (what bindings push down). */
function labelsMatch(selector: string, labels: Record<string, string>): boolean {
  for (const term of selector
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)) {
    const [key, value] = term.includes("!=") ? term.split("!=") : term.split("=");
    if (term.startsWith("!")) {
      if (term.slice(1) in labels) return false;
    } else if (term.includes("!=")) {
      if (labels[key ?? ""] === value) return false;
    } else if (value === undefined ? !((key ?? "") in labels) : labels[key ?? ""] !== value) {
      return false;
    }
  }
  return true;
}

/** `metadata.name=x` and `metadata.namespace=y` terms, the field selectors capstan uses. */
function fieldsMatch(selector: string, object: KubernetesObject): boolean {
  for (const term of selector
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)) {
    const [field, value] = term.split("=");
    const actual =
      field === "metadata.name"
        ? object.metadata?.name
        : field === "metadata.namespace"
          ? object.metadata?.namespace
          : undefined;
    if (actual !== value) return false;
  }
  return true;
}

/** Whether an informer with this scope would list the object, as the API server decides it. */
export function inScope(scope: InformerScope, object: KubernetesObject): boolean {
  const { kind } = scope;
  if (object.kind !== kind.kind || object.apiVersion !== kind.apiVersion) return false;
  if (kind.namespaced && scope.namespace && object.metadata?.namespace !== scope.namespace) return false;
  if (scope.labelSelector && !labelsMatch(scope.labelSelector, object.metadata?.labels ?? {})) return false;
  return !scope.fieldSelector || fieldsMatch(scope.fieldSelector, object);
}
