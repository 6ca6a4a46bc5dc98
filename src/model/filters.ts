import type { KubernetesObject } from "../k8s/index.ts";
import { type AdmissionRequest, subjectOf } from "./admission-request.ts";
import type { Binding, Filters } from "./binding.ts";
import { operationsOf } from "./events.ts";

// Filters as pure predicates. Each function returns why a binding does not apply ("" = it applies), so
// callers can log the reason; the `shouldSkip*` forms are the boolean shortcuts. The order follows Pepr.

type Metadata = NonNullable<KubernetesObject["metadata"]>;

/** The namespace an object counts as being in: a Namespace's own name, "" for other cluster-scoped objects. */
export function carriedNamespace(object: KubernetesObject | undefined, kind: string, fallback = ""): string {
  if (kind === "Namespace") return object?.metadata?.name ?? fallback;
  return object?.metadata?.namespace ?? fallback;
}

function metaMismatch(wanted: Record<string, string>, carried: Record<string, string> | undefined): string {
  for (const key in wanted) {
    const value = carried?.[key];
    // As Pepr: a key wanted without a value matches the key with any value, the empty one included.
    if (value === undefined) return key;
    const expected = wanted[key];
    if (expected !== "" && expected !== value) return key;
  }
  return "";
}

function anyMatches(expressions: readonly RegExp[], value: string): boolean {
  for (const expression of expressions) {
    expression.lastIndex = 0;
    if (expression.test(value)) return true;
  }
  return false;
}

/** The checks admission and watch share, against the object and the namespace it counts as in. */
function objectSkipReason(
  filters: Filters,
  metadata: Metadata,
  namespace: string,
  capabilityNamespaces: readonly string[],
  ignoredNamespaces: readonly string[],
): string {
  if (filters.name && filters.name !== metadata.name) return `name is not ${filters.name}`;
  if (capabilityNamespaces.length > 0 && !capabilityNamespaces.includes(namespace)) {
    return `namespace "${namespace}" is outside the capability's namespaces`;
  }
  if (filters.namespaces.length > 0 && !filters.namespaces.includes(namespace)) {
    return `namespace "${namespace}" is not one of ${filters.namespaces.join(", ")}`;
  }
  const label = metaMismatch(filters.labels, metadata.labels);
  if (label) return `label ${label} does not match`;
  const annotation = metaMismatch(filters.annotations, metadata.annotations);
  if (annotation) return `annotation ${annotation} does not match`;
  if (filters.namespaceRegExps.length > 0 && !anyMatches(filters.namespaceRegExps, namespace)) {
    return `namespace "${namespace}" matches no namespace regex`;
  }
  if (filters.nameRegExp && !anyMatches([filters.nameRegExp], metadata.name ?? "")) {
    return `name does not match ${filters.nameRegExp}`;
  }
  if (ignoredNamespaces.includes(namespace) && namespace !== "") return `namespace "${namespace}" is ignored`;
  return "";
}

/** Why `binding` does not apply to an admission request ("" = it applies). DELETE is judged on `oldObject`. */
export function admissionSkipReason(
  binding: Binding,
  request: AdmissionRequest,
  capabilityNamespaces: readonly string[],
  ignoredNamespaces: readonly string[],
): string {
  const { filters, kind } = binding;
  const object = subjectOf(request);
  const metadata = object?.metadata ?? {};
  if (filters.deletionTimestamp && binding.event === "DELETE") {
    return "deletionTimestamp filter on a DELETE binding never matches";
  }
  if (filters.deletionTimestamp && !metadata.deletionTimestamp) return "object has no deletionTimestamp";
  if (!operationsOf(binding.event).includes(request.operation)) return `operation ${request.operation} not bound`;
  if (kind.group !== request.kind.group) return `group ${request.kind.group} is not ${kind.group}`;
  if (kind.version && kind.version !== request.kind.version)
    return `version ${request.kind.version} is not ${kind.version}`;
  if (kind.kind !== request.kind.kind) return `kind ${request.kind.kind} is not ${kind.kind}`;
  const namespace = carriedNamespace(object, kind.kind, request.namespace ?? "");
  return objectSkipReason(filters, metadata, namespace, capabilityNamespaces, ignoredNamespaces);
}

export function shouldSkipAdmission(
  binding: Binding,
  request: AdmissionRequest,
  capabilityNamespaces: readonly string[],
  ignoredNamespaces: readonly string[],
): boolean {
  return admissionSkipReason(binding, request, capabilityNamespaces, ignoredNamespaces) !== "";
}

/** Why `binding` does not apply to a watched object ("" = it applies). Kind and phase are the caller's job. */
export function watchSkipReason(
  binding: Binding,
  object: KubernetesObject,
  capabilityNamespaces: readonly string[],
  ignoredNamespaces: readonly string[],
): string {
  const { filters, kind } = binding;
  const metadata = object.metadata ?? {};
  if (kind.kind === "Namespace" && (filters.namespaces.length > 0 || filters.namespaceRegExps.length > 0)) {
    return "Cannot use namespace filter on a namespace object.";
  }
  if (filters.deletionTimestamp && !metadata.deletionTimestamp) return "object has no deletionTimestamp";
  return objectSkipReason(
    filters,
    metadata,
    carriedNamespace(object, kind.kind),
    capabilityNamespaces,
    ignoredNamespaces,
  );
}

export function shouldSkipWatch(
  binding: Binding,
  object: KubernetesObject,
  capabilityNamespaces: readonly string[],
  ignoredNamespaces: readonly string[],
): boolean {
  return watchSkipReason(binding, object, capabilityNamespaces, ignoredNamespaces) !== "";
}
