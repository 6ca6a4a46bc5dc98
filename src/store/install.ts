import type { ApiClient } from "../k8s/api-client.ts";
import { storeCrd } from "./crd.ts";

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Installs (or updates) the CapstanStore CRD with server-side apply and waits until the API server
 * serves it. Idempotent: deploy, dev mode and tests call it freely. Needs `create`/`patch` on
 * customresourcedefinitions, which the running module does not have and does not need.
 */
export async function installStoreCrd(client: ApiClient, options: { timeoutMs?: number } = {}): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${storeCrd.metadata.name}`;
  await client.request({
    method: "PATCH",
    path,
    query: { fieldManager: "capstan", force: true },
    body: storeCrd,
    contentType: "application/apply-patch+yaml",
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const crd = await client.request<CrdStatus>({ path });
    if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) throw new Error(`the ${storeCrd.metadata.name} CRD was not established in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
