import type { ApiClient, KubernetesObject, ResolvedKind } from "../../k8s/index.ts";
import { ConflictError, InvalidError, NotFoundError, resourcePath } from "../../k8s/index.ts";

/** What became of the finalizer. */
export type Removal = "removed" | "absent" | "gone";

/**
 * Removes `finalizer` from the object with a JSON patch that only applies to the version it was
 * computed from (the resourceVersion is part of the patch, and the finalizer's index is tested),
 * re-reading and trying again when the object changed in between. Never touches other finalizers.
 */
export async function removeFinalizer(
  client: ApiClient,
  kind: ResolvedKind,
  seen: KubernetesObject,
  finalizer: string,
  attempts = 5,
): Promise<Removal> {
  const path = resourcePath(kind, { namespace: seen.metadata?.namespace, name: seen.metadata?.name });
  let object: KubernetesObject = seen;
  for (let attempt = 1; ; attempt++) {
    const index = object.metadata?.finalizers?.indexOf(finalizer) ?? -1;
    if (index < 0) return "absent";
    try {
      await client.request({
        method: "PATCH",
        path,
        contentType: "application/json-patch+json",
        body: [
          { op: "test", path: "/metadata/resourceVersion", value: object.metadata?.resourceVersion },
          { op: "test", path: `/metadata/finalizers/${index}`, value: finalizer },
          { op: "remove", path: `/metadata/finalizers/${index}` },
        ],
      });
      return "removed";
    } catch (error) {
      if (error instanceof NotFoundError) return "gone";
      const stale = error instanceof ConflictError || error instanceof InvalidError;
      if (!stale || attempt >= attempts) throw error;
    }
    try {
      object = await client.request<KubernetesObject>({ path });
    } catch (error) {
      if (error instanceof NotFoundError) return "gone";
      throw error;
    }
  }
}
