import type * as k8s from "@kubernetes/client-node";

/** Group, version and kind of a resource; `plural` is the URL segment (default: lower-case kind + "s"). */
export interface GroupVersionKind {
  readonly kind: string;
  readonly group: string;
  readonly version?: string;
  readonly plural?: string;
  /** Whether objects live in a namespace. Default true for registered kinds. */
  readonly namespaced?: boolean;
}

/** A fully resolved kind: every field known. */
export interface ResolvedKind {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly apiVersion: string;
}

/** Any Kubernetes object. */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: k8s.V1ObjectMeta;
}

/**
 * A kind's class. `When`, `K8s` and `RegisterKind` take these; `new` makes an empty object of the
 * kind. The classes carry no behaviour: their instance types are @kubernetes/client-node's models,
 * imported as types only so the runtime never loads that library.
 */
export type KindClass<T extends KubernetesObject = KubernetesObject> = (abstract new () => T) & {
  readonly name: string;
};

const byClass = new Map<KindClass, ResolvedKind>();
const byName = new Map<string, ResolvedKind>();

export function resolveKind(gvk: GroupVersionKind): ResolvedKind {
  const version = gvk.version ?? "v1";
  return {
    kind: gvk.kind,
    group: gvk.group,
    version,
    plural: gvk.plural ?? `${gvk.kind.toLowerCase()}s`,
    namespaced: gvk.namespaced ?? true,
    apiVersion: gvk.group ? `${gvk.group}/${version}` : version,
  };
}

/** Registers a class for a custom kind; throws if a class of that name is already registered. */
export function RegisterKind(model: KindClass, gvk: GroupVersionKind): void {
  if (byClass.has(model) || byName.has(model.name)) throw new Error(`GVK ${model.name} already registered`);
  const resolved = resolveKind(gvk);
  byClass.set(model, resolved);
  byName.set(model.name, resolved);
}

/** Removes a registration (tests, hot reload). */
export function unregisterKind(model: KindClass): void {
  byClass.delete(model);
  byName.delete(model.name);
}

/**
 * The kind a class stands for: an explicit GVK wins, then the class itself, then its name (so a
 * class bundled twice still resolves). Throws with Pepr's message when nothing is known.
 */
export function kindOf(model: KindClass, override?: GroupVersionKind): ResolvedKind {
  if (override) return resolveKind(override);
  const known = byClass.get(model) ?? byName.get(model.name);
  if (!known) throw new Error(`Kind not specified for ${model.name}`);
  return known;
}

export function isKnownKind(model: KindClass): boolean {
  return byClass.has(model) || byName.has(model.name);
}

/** Records a built-in kind's class (called once per class by models.ts). */
export function registerBuiltIn(model: KindClass, info: ResolvedKind): void {
  byClass.set(model, info);
  byName.set(model.name, info);
}
