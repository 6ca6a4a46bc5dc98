import type { KubernetesObject } from "../k8s/index.ts";
import { type Flavor, flavorNames } from "./flavor.ts";
import type { PeprMutateRequest } from "./mutate-request.ts";

/** capstan's own finalizer; a Pepr-mode module's is `pepr.dev/finalizer` (see `finalizerOf`). */
export const FINALIZER = flavorNames("capstan").finalizer;

/** The finalizer a module of this flavor puts on objects and removes once its Finalize callback is done. */
export function finalizerOf(flavor: Flavor): string {
  return flavorNames(flavor).finalizer;
}

/** Adds `finalizer`, except on DELETE or on an object already being deleted. */
function addNamedFinalizer(request: PeprMutateRequest<KubernetesObject>, finalizer: string): void {
  if (request.Request.operation === "DELETE") return;
  if (request.Request.operation === "UPDATE" && request.Raw.metadata?.deletionTimestamp) return;
  const metadata = request.Raw.metadata ?? {};
  request.Raw.metadata = metadata;
  const finalizers = metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) metadata.finalizers = [...finalizers, finalizer];
}

/**
 * The mutate half of `Finalize` as the binding records it, with capstan's finalizer. The admission
 * engine runs `finalizerAdder(<the module's finalizer>)` in its place (a binding is made before the
 * module, and so its flavor, is known).
 */
export function addFinalizer(request: PeprMutateRequest<KubernetesObject>): void {
  addNamedFinalizer(request, FINALIZER);
}

/** The mutate callback of `Finalize` for a module whose finalizer is `finalizer`. */
export function finalizerAdder(finalizer: string): (request: PeprMutateRequest<KubernetesObject>) => void {
  return (request) => addNamedFinalizer(request, finalizer);
}
