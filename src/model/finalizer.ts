import type { KubernetesObject } from "../k8s/kinds.ts";
import type { PeprMutateRequest } from "./mutate-request.ts";

/** The finalizer `Finalize` bindings put on objects and remove once the callback is done. */
export const FINALIZER = "capstan.dev/finalizer";

/** The mutate half of `Finalize`: adds the finalizer, except on DELETE or on an object already being deleted. */
export function addFinalizer(request: PeprMutateRequest<KubernetesObject>): void {
  if (request.Request.operation === "DELETE") return;
  if (request.Request.operation === "UPDATE" && request.Raw.metadata?.deletionTimestamp) return;
  const metadata = request.Raw.metadata ?? {};
  request.Raw.metadata = metadata;
  const finalizers = metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) metadata.finalizers = [...finalizers, FINALIZER];
}
