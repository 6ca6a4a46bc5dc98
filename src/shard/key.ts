import type { KubernetesObject } from "../k8s/index.ts";

/** The group and kind of the object a key is computed for. */
export interface KeyKind {
  readonly group: string;
  readonly kind: string;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * What the ring hashes for `object`: `<group>/<kind>/<namespace>/<name>` of its controller owner when
 * it has one (an object and the children its controller made land on one shard), else of the object
 * itself. Built from names, not uids, so the mutating webhook can label an object on CREATE, before
 * it has a uid. Only the direct owner is visible on the object: a chain (Deployment → ReplicaSet →
 * Pod) groups by the nearest owner, and an owner is taken to be in the object's namespace.
 * Undefined when there is no name yet (a CREATE with only `generateName`): the assigner labels it later.
 */
export function shardKey(object: KubernetesObject, kind: KeyKind): string | undefined {
  const metadata = object.metadata ?? {};
  const namespace = metadata.namespace ?? "";
  const owner = metadata.ownerReferences?.find((reference) => reference.controller === true);
  if (owner) return `${groupOf(owner.apiVersion)}/${owner.kind}/${namespace}/${owner.name}`;
  return metadata.name ? `${kind.group}/${kind.kind}/${namespace}/${metadata.name}` : undefined;
}
