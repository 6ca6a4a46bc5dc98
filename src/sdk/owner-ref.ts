import type * as k8s from "@kubernetes/client-node";
import type { KubernetesObject } from "../k8s/index.ts";

/** An owner reference to `cr`, for objects it creates (Pepr's `getOwnerRefFrom`). */
export function getOwnerRefFrom(
  cr: KubernetesObject,
  blockOwnerDeletion?: boolean,
  controller?: boolean,
): k8s.V1OwnerReference[] {
  const { apiVersion, kind, metadata } = cr;
  if (!apiVersion || !kind || !metadata?.name || !metadata.uid) {
    throw new Error("getOwnerRefFrom needs an object with apiVersion, kind, metadata.name and metadata.uid");
  }
  return [
    {
      apiVersion,
      kind,
      name: metadata.name,
      uid: metadata.uid,
      ...(blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion }),
      ...(controller === undefined ? {} : { controller }),
    },
  ];
}
