import type { InformerOptions } from "../../informer/index.ts";
import type { Binding } from "../../model/index.ts";

/**
 * The informer scope for a binding: what the API server can filter (labels, exact name, a single
 * namespace) goes into the LIST/WATCH; everything else is checked on each object by the model's
 * predicates. Bindings with equal scopes share one informer.
 */
export function scopeOf(binding: Binding, capabilityNamespaces: readonly string[]): InformerOptions {
  const { filters, kind } = binding;
  const labels = Object.entries(filters.labels)
    .map(([key, value]) => (value === "" ? key : `${key}=${value}`))
    .sort();
  const namespaces = filters.namespaces.length > 0 ? filters.namespaces : capabilityNamespaces;
  const single = kind.namespaced && new Set(namespaces).size === 1 ? namespaces[0] : undefined;
  return {
    kind,
    ...(single ? { namespace: single } : {}),
    ...(labels.length > 0 ? { labelSelector: labels.join(",") } : {}),
    ...(filters.name ? { fieldSelector: `metadata.name=${filters.name}` } : {}),
  };
}
