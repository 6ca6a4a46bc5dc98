import type { Binding } from "../model/index.ts";
import { operationsOf } from "../model/index.ts";

// CEL for webhook matchConditions: the filters the API server can evaluate itself, so requests no
// binding wants never leave it. Every expression is a superset of the in-process filter (which still
// runs), so anything CEL cannot say exactly is simply left out.

/** A CEL string literal. */
export function celString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'").replaceAll("\n", "\\n")}'`;
}

function celList(values: readonly string[]): string {
  return `[${values.map(celString).join(", ")}]`;
}

/** Whether a JavaScript regex means the same in RE2 (CEL's `matches`): no flags, lookaround, backreferences or \u/\c escapes. */
export function isPortableRegex(expression: RegExp): boolean {
  if (expression.flags.replace(/[gy]/g, "") !== "") return false;
  return !/\(\?|\\[1-9]|\\k<|\\u|\\c|\[\^?\]/.test(expression.source);
}

function metaCondition(object: string, field: "labels" | "annotations", wanted: Record<string, string>): string[] {
  return Object.entries(wanted).map(([key, value]) => {
    const map = `${object}.metadata.${field}`;
    const present = `has(${map}) && ${celString(key)} in ${map}`;
    return value === "" ? present : `${present} && ${map}[${celString(key)}] == ${celString(value)}`;
  });
}

/** Conditions on the object itself (`object`, or `oldObject` for DELETE). */
function objectConditions(binding: Binding, object: string): string[] {
  const { filters } = binding;
  const conditions: string[] = [];
  if (filters.name)
    conditions.push(`has(${object}.metadata.name) && ${object}.metadata.name == ${celString(filters.name)}`);
  if (filters.nameRegExp && isPortableRegex(filters.nameRegExp)) {
    conditions.push(
      `has(${object}.metadata.name) && ${object}.metadata.name.matches(${celString(filters.nameRegExp.source)})`,
    );
  }
  conditions.push(
    ...metaCondition(object, "labels", filters.labels),
    ...metaCondition(object, "annotations", filters.annotations),
  );
  if (filters.deletionTimestamp) conditions.push(`has(${object}.metadata.deletionTimestamp)`);
  return conditions;
}

function and(conditions: readonly string[]): string {
  return conditions.length === 1 ? (conditions[0] as string) : conditions.map((c) => `(${c})`).join(" && ");
}

/** The namespaces a binding is limited to: its own InNamespace, else its capability's ("" = unlimited). */
export function bindingNamespaces(binding: Binding, capabilityNamespaces: readonly string[]): readonly string[] {
  return binding.filters.namespaces.length > 0 ? binding.filters.namespaces : capabilityNamespaces;
}

/** A CEL expression true for every request `binding` could want (never false for one it wants). */
export function bindingCondition(binding: Binding, capabilityNamespaces: readonly string[]): string {
  const { kind, filters } = binding;
  const conditions = [
    `request.kind.group == ${celString(kind.group)} && request.kind.kind == ${celString(kind.kind)}`,
    `request.operation in ${celList(operationsOf(binding.event))}`,
  ];
  if (kind.namespaced) {
    const namespaces = bindingNamespaces(binding, capabilityNamespaces);
    if (namespaces.length > 0) conditions.push(`request.namespace in ${celList(namespaces)}`);
    const portable = filters.namespaceRegExps.filter(isPortableRegex);
    if (portable.length > 0 && portable.length === filters.namespaceRegExps.length) {
      conditions.push(portable.map((re) => `request.namespace.matches(${celString(re.source)})`).join(" || "));
    }
  }
  const operations = operationsOf(binding.event);
  const onNew = objectConditions(binding, "object");
  if (onNew.length > 0) {
    const onOld = and(objectConditions(binding, "oldObject"));
    if (!operations.includes("DELETE")) conditions.push(and(onNew));
    else if (operations.length === 1) conditions.push(onOld);
    else conditions.push(`request.operation == 'DELETE' ? (${onOld}) : (${and(onNew)})`);
  }
  return and(conditions);
}

/** One expression for a webhook: true when any binding could want the request. */
export function anyBindingCondition(
  actions: readonly { binding: Binding; capabilityNamespaces: readonly string[] }[],
): string {
  return actions
    .map(({ binding, capabilityNamespaces }) => `(${bindingCondition(binding, capabilityNamespaces)})`)
    .join(" || ");
}

type BoundBindings = readonly { binding: Binding; capabilityNamespaces: readonly string[] }[];

/**
 * The namespaces a webhook's namespaceSelector limits it to (sorted), or undefined when some binding
 * takes every namespace (or is cluster-scoped).
 */
export function namespaceLimit(actions: BoundBindings): string[] | undefined {
  const limited = actions.map(({ binding, capabilityNamespaces }) =>
    binding.kind.namespaced ? bindingNamespaces(binding, capabilityNamespaces) : [],
  );
  return limited.every((namespaces) => namespaces.length > 0) ? [...new Set(limited.flat())].sort() : undefined;
}

/**
 * Whether `anyBindingCondition` says more than the webhook's rules (kind and operation, per
 * resource) and its namespaceSelector (`limit`) already do. When it does not, the API server would
 * still convert the object and the request for CEL on every call only to get `true`.
 */
export function conditionFiltersMore(actions: BoundBindings, limit: readonly string[] | undefined): boolean {
  return actions.some(({ binding, capabilityNamespaces }) => {
    const { filters } = binding;
    const onObject =
      filters.name !== "" ||
      (filters.nameRegExp !== undefined && isPortableRegex(filters.nameRegExp)) ||
      Object.keys(filters.labels).length > 0 ||
      Object.keys(filters.annotations).length > 0 ||
      Boolean(filters.deletionTimestamp);
    if (onObject) return true;
    if (!binding.kind.namespaced) return false;
    const regexps = filters.namespaceRegExps;
    if (regexps.length > 0 && regexps.every(isPortableRegex)) return true;
    const own = new Set(bindingNamespaces(binding, capabilityNamespaces));
    return own.size > 0 && own.size !== limit?.length;
  });
}
