import type { Binding, CelMutation, CelPolicy } from "../model/index.ts";
import { celActionsOf, describeBinding, flavorNames, flavorOf, operationsOf } from "../model/index.ts";
import { bindingNamespaces, celString, isPortableRegex } from "./cel.ts";
import { celMutations } from "./cel-mutations.ts";
import type { AdmissionModule } from "./engine.ts";
import {
  type LabelSelector,
  type LabelSelectorRequirement,
  NAMESPACE_NAME_LABEL,
  notIgnoredNamespaces,
} from "./webhook-config.ts";

// `ValidateCEL` bindings compiled to ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding, and
// `MutateCEL` bindings to MutatingAdmissionPolicy + MutatingAdmissionPolicyBinding.
// Unlike a webhook's matchConditions (a superset; the in-process filter runs after), a policy's
// match is all there is: every filter must compile to CEL or a selector that selects exactly the
// requests the webhook path's filters (model/filters.ts) would, or the build fails naming it.

const API_VERSION = "admissionregistration.k8s.io/v1";

export interface CelPolicyOptions {
  /** Extra namespaceSelector terms, ANDed (tests confine a module to their namespaces). */
  readonly namespaceSelector?: LabelSelector;
  /** Extra namespaces the policies never apply in (as the webhooks' ignored namespaces). */
  readonly ignoredNamespaces?: readonly string[];
}

/** What to say when a cluster answers 404 for the policy kinds: it does not serve them. */
export const CEL_POLICY_API_MISSING =
  "this cluster does not serve admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (Kubernetes 1.30 or later): upgrade it, or write the rule as a Validate callback instead of ValidateCEL";

/** What to say when a cluster answers 404 for the mutating policy kinds. */
export const CEL_MUTATION_API_MISSING =
  "this cluster does not serve admissionregistration.k8s.io/v1 MutatingAdmissionPolicy (Kubernetes 1.36 or later, or the MutatingAdmissionPolicy feature gate): upgrade it, or write the mutation as a Mutate callback instead of MutateCEL";

/** One ValidateCEL (or MutateCEL) binding's two objects: the policy and its binding. */
export interface CelPolicyObjects {
  readonly policy: Record<string, unknown>;
  readonly binding: Record<string, unknown>;
}

function celBindings(module: AdmissionModule) {
  return module.capabilities.flatMap((capability) =>
    capability.bindings
      .filter((binding) => binding.cel !== undefined)
      .map((binding) => ({ binding, cel: binding.cel as CelPolicy, capabilityNamespaces: capability.namespaces })),
  );
}

function celMutationBindings(module: AdmissionModule) {
  return module.capabilities.flatMap((capability) =>
    capability.bindings
      .filter((binding) => binding.celMutation !== undefined)
      .map((binding) => ({
        binding,
        mutation: binding.celMutation as CelMutation,
        capabilityNamespaces: capability.namespaces,
      })),
  );
}

function exactRegex(binding: Binding, what: string, expression: RegExp): string {
  if (isPortableRegex(expression)) return celString(expression.source);
  throw new Error(
    `Capability ${binding.capability}, binding ${describeBinding(binding)}: ${what}(${expression}) has no exact CEL form (flags, lookaround, backreferences or \\u/\\c escapes); a ValidateCEL binding's filters must compile exactly: write the regex without them`,
  );
}

function metaConditions(object: string, field: "labels" | "annotations", wanted: Record<string, string>) {
  return Object.entries(wanted).map(([key, value], index) => {
    const map = `${object}.metadata.${field}`;
    const present = `has(${map}) && ${celString(key)} in ${map}`;
    const expression = value === "" ? present : `${present} && ${map}[${celString(key)}] == ${celString(value)}`;
    return { name: `${field === "labels" ? "label" : "annotation"}-${index}`, expression };
  });
}

/** The object filters as named matchConditions on `object` (on `oldObject` for DELETE). */
function objectConditions(binding: Binding, object: string) {
  const { filters } = binding;
  const name = `(has(${object}.metadata.name) ? ${object}.metadata.name : '')`;
  const conditions: { name: string; expression: string }[] = [];
  if (filters.name) conditions.push({ name: "name", expression: `${name} == ${celString(filters.name)}` });
  if (filters.nameRegExp) {
    conditions.push({
      name: "name-regex",
      expression: `${name}.matches(${exactRegex(binding, "WithNameRegex", filters.nameRegExp)})`,
    });
  }
  conditions.push(
    ...metaConditions(object, "labels", filters.labels),
    ...metaConditions(object, "annotations", filters.annotations),
  );
  if (filters.deletionTimestamp) {
    conditions.push({ name: "deletion-timestamp", expression: `has(${object}.metadata.deletionTimestamp)` });
  }
  return conditions;
}

function matchConditions(binding: Binding) {
  const operations = operationsOf(binding.event);
  const { filters } = binding;
  if (filters.deletionTimestamp && binding.event === "DELETE") {
    throw new Error(
      `Capability ${binding.capability}, binding ${describeBinding(binding)}: WithDeletionTimestamp on IsDeleted never matches; remove one of them`,
    );
  }
  const conditions: { name: string; expression: string }[] = [];
  if (filters.namespaceRegExps.length > 0) {
    const any = filters.namespaceRegExps
      .map((expression) => `request.namespace.matches(${exactRegex(binding, "InNamespaceRegex", expression)})`)
      .join(" || ");
    conditions.push({ name: "namespace-regex", expression: any });
  }
  const onNew = objectConditions(binding, "object");
  if (!operations.includes("DELETE")) return [...conditions, ...onNew];
  const onOld = objectConditions(binding, "oldObject");
  if (operations.length === 1) return [...conditions, ...onOld];
  return [
    ...conditions,
    ...onNew.map((condition, index) => ({
      name: condition.name,
      expression: `request.operation == 'DELETE' ? (${onOld[index]?.expression}) : (${condition.expression})`,
    })),
  ];
}

function namespaceSelector(
  module: AdmissionModule,
  binding: Binding,
  capabilityNamespaces: readonly string[],
  options: CelPolicyOptions,
): LabelSelector {
  const expressions: LabelSelectorRequirement[] = [notIgnoredNamespaces(module, options.ignoredNamespaces)];
  const { kind } = binding;
  const limit = bindingNamespaces(binding, capabilityNamespaces);
  if (limit.length > 0) {
    // A Namespace matches on its own labels; any other cluster-scoped object is in namespace "",
    // which the webhook path finds outside every list, while a namespaceSelector would not apply.
    if (!kind.namespaced && kind.kind !== "Namespace") {
      throw new Error(
        `Capability ${binding.capability}, binding ${describeBinding(binding)}: ${kind.kind} is cluster-scoped and the capability is limited to namespaces [${capabilityNamespaces.join(", ")}], so it never matches; bind it in a capability without namespaces`,
      );
    }
    expressions.push({ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...new Set(limit)].sort() });
  }
  expressions.push(...(options.namespaceSelector?.matchExpressions ?? []));
  return {
    ...(options.namespaceSelector?.matchLabels ? { matchLabels: options.namespaceSelector.matchLabels } : {}),
    matchExpressions: expressions,
  };
}

function resourceRule(binding: Binding) {
  const { kind } = binding;
  return {
    apiGroups: [kind.group],
    apiVersions: [kind.version || "*"],
    operations: [...operationsOf(binding.event)],
    // As the webhooks: an ephemeral container is added through the Pod's subresource.
    resources: kind.plural === "pods" && kind.group === "" ? ["pods", "pods/ephemeralcontainers"] : [kind.plural],
    scope: kind.namespaced ? "Namespaced" : "Cluster",
  };
}

/** `<flavor>-<uuid>-<capability>-<binding name>`: stable while the module's bindings keep their order. */
export function celPolicyName(module: AdmissionModule, binding: Binding): string {
  return `${flavorNames(flavorOf(module.config)).objectPrefix(module.config.uuid)}-${binding.capability}-${binding.name}`;
}

/**
 * The module's admission policies and their bindings: a ValidatingAdmissionPolicy per ValidateCEL
 * binding, then a MutatingAdmissionPolicy per MutateCEL binding (each policy before its binding).
 */
export function celPolicies(module: AdmissionModule, options: CelPolicyOptions = {}): CelPolicyObjects[] {
  const names = flavorNames(flavorOf(module.config));
  const labels = { [names.uuidLabel]: module.config.uuid };
  const match = (binding: Binding, capabilityNamespaces: readonly string[]) => {
    const conditions = matchConditions(binding);
    return {
      matchConstraints: {
        matchPolicy: "Equivalent",
        namespaceSelector: namespaceSelector(module, binding, capabilityNamespaces, options),
        resourceRules: [resourceRule(binding)],
      },
      ...(conditions.length > 0 ? { matchConditions: conditions } : {}),
    };
  };
  const validating = celBindings(module).map(({ binding, cel, capabilityNamespaces }) => {
    const name = celPolicyName(module, binding);
    const policy = {
      apiVersion: API_VERSION,
      kind: "ValidatingAdmissionPolicy",
      metadata: { name, labels },
      spec: {
        failurePolicy: "Fail",
        ...match(binding, capabilityNamespaces),
        validations: cel.validations.map((validation) => ({ ...validation })),
      },
    };
    const policyBinding = {
      apiVersion: API_VERSION,
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name, labels },
      spec: { policyName: name, validationActions: celActionsOf(module.config, binding, cel.actions) },
    };
    return { policy, binding: policyBinding };
  });
  const mutating = celMutationBindings(module).map(({ binding, mutation, capabilityNamespaces }) => {
    const name = celPolicyName(module, binding);
    const policy = {
      apiVersion: API_VERSION,
      kind: "MutatingAdmissionPolicy",
      metadata: { name, labels },
      spec: {
        // As a webhook Mutate under onError reject/ignore: a mutation that cannot apply refuses or admits unchanged.
        failurePolicy: module.config.onError === "reject" ? "Fail" : "Ignore",
        // Webhooks that run after it may change the object; it runs again then, so its values stand.
        reinvocationPolicy: "IfNeeded",
        ...match(binding, capabilityNamespaces),
        mutations: celMutations(mutation.spec),
      },
    };
    const policyBinding = {
      apiVersion: API_VERSION,
      kind: "MutatingAdmissionPolicyBinding",
      metadata: { name, labels },
      spec: { policyName: name },
    };
    return { policy, binding: policyBinding };
  });
  return [...validating, ...mutating];
}
