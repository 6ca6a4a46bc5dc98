// What Pepr needs in the cluster before its module runs, and the clean-up `pepr dev` does when its
// module exits: the pepr-system namespace (its PeprStores live there), the PeprStore CRD (Pepr's
// controller force-applies it before forking the module), and the two PeprStores it deletes.
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { peprAssets } from "./pepr-assets.ts";

export const PEPR_NAMESPACE = "pepr-system";
const FIELD_MANAGER = "pepr";

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

async function apply(client: ApiClient, path: string, body: unknown): Promise<void> {
  await client.request({
    method: "PATCH",
    path,
    query: { fieldManager: FIELD_MANAGER, force: true },
    contentType: "application/apply-patch+yaml",
    body,
  });
}

async function waitEstablished(client: ApiClient, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await client.request<CrdStatus>({ path });
    if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) throw new Error(`Pepr's PeprStore CRD was not established within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Applies the pepr-system namespace and Pepr's own PeprStore CRD, and waits for the CRD. */
export async function installPeprClusterResources(client: ApiClient): Promise<void> {
  await apply(client, `/api/v1/namespaces/${PEPR_NAMESPACE}`, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: PEPR_NAMESPACE },
  });
  const { peprStoreCRD } = await peprAssets();
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${peprStoreCRD.metadata.name}`;
  await apply(client, path, peprStoreCRD);
  await waitEstablished(client, path, 30_000);
}

/** Deletes the module's PeprStore and schedule PeprStore, as `pepr dev` does when its module exits. */
export async function deletePeprStores(client: ApiClient, uuid: string): Promise<void> {
  for (const name of [`pepr-${uuid}-store`, `pepr-${uuid}-schedule`]) {
    await client
      .request({ method: "DELETE", path: `/apis/pepr.dev/v1/namespaces/${PEPR_NAMESPACE}/peprstores/${name}` })
      .catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
  }
}
