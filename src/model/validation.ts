import type { Binding } from "./binding.ts";
import { describeBinding } from "./binding.ts";
import { sanitizeResourceName } from "./names.ts";

// Definition checks that run when a module loads, so a mistake fails at load naming the binding.

export function capabilityNameError(name: string): string {
  if (typeof name !== "string" || name === "" || sanitizeResourceName(name) !== name) {
    return `Capability name is not a valid Kubernetes resource name: "${name}" (use lower-case letters, digits and "-", at most 63 characters; for example "${sanitizeResourceName(String(name)) || "my-capability"}")`;
  }
  return "";
}

/** What is wrong with a binding as defined ("" = nothing). */
export function bindingDefinitionError(binding: Binding, capabilityNamespaces: readonly string[]): string {
  const { filters, kind } = binding;
  const where = `Capability ${binding.capability}, binding ${describeBinding(binding)} on ${kind.kind}`;
  if (!kind.namespaced && filters.namespaceRegExps.length > 0) {
    return `${where}: InNamespaceRegex cannot match ${kind.kind}, which is cluster-scoped`;
  }
  if (!kind.namespaced && kind.kind !== "Namespace" && filters.namespaces.length > 0) {
    return `${where}: InNamespace cannot match ${kind.kind}, which is cluster-scoped`;
  }
  if (capabilityNamespaces.length > 0) {
    const outside = filters.namespaces.filter((namespace) => !capabilityNamespaces.includes(namespace));
    if (outside.length > 0) {
      return `${where}: InNamespace(${outside.join(", ")}) is outside the capability's namespaces [${capabilityNamespaces.join(", ")}]`;
    }
    for (const expression of filters.namespaceRegExps) {
      if (!capabilityNamespaces.some((namespace) => new RegExp(expression.source, expression.flags).test(namespace))) {
        return `${where}: InNamespaceRegex(${expression}) matches none of the capability's namespaces [${capabilityNamespaces.join(", ")}]`;
      }
    }
  }
  return "";
}

/** Bindings that can never fire because they target a namespace the module always ignores. */
export function ignoredNamespaceError(binding: Binding, ignoredNamespaces: readonly string[]): string {
  const where = `Capability ${binding.capability}, binding ${describeBinding(binding)}`;
  const ignored = binding.filters.namespaces.filter((namespace) => ignoredNamespaces.includes(namespace));
  if (ignored.length > 0) return `${where}: InNamespace(${ignored.join(", ")}) names an ignored namespace`;
  return "";
}
