import type * as k8s from "@kubernetes/client-node";
import type { PeprMutateRequest, PeprValidateRequest } from "../model/index.ts";

export type ContainerType = "containers" | "initContainers" | "ephemeralContainers";

/** A Pod request's containers of one type, or all three lists concatenated. */
export function containers(
  request: PeprValidateRequest<k8s.V1Pod> | PeprMutateRequest<k8s.V1Pod>,
  containerType?: ContainerType,
): k8s.V1Container[] {
  const spec = request.Raw.spec;
  if (!spec) return [];
  if (containerType) return (spec[containerType] ?? []) as k8s.V1Container[];
  return [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []),
    ...((spec.ephemeralContainers ?? []) as k8s.V1Container[]),
  ];
}
