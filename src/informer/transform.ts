import type { KubernetesObject } from "../k8s/index.ts";

/** The default cache transform: drops `metadata.managedFields`, often half an object's size, which handlers rarely need. */
export function stripManagedFields(object: KubernetesObject): KubernetesObject {
  if (!object.metadata?.managedFields) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}
