import type { KubernetesObject } from "../k8s/index.ts";

/**
 * What the ring hashes for `object`: the uid of its controller owner when it has one (so an object
 * and the children its controller made land on one shard), else its own uid. Only the direct owner
 * is visible on the object; a chain (Deployment → ReplicaSet → Pod) groups by the nearest owner.
 */
export function shardKey(object: KubernetesObject): string {
  const owner = object.metadata?.ownerReferences?.find((reference) => reference.controller === true);
  return owner?.uid ?? object.metadata?.uid ?? `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}
