import type { ApiClient } from "../k8s/index.ts";
import { storeCrd } from "./crd.ts";

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Applies a CRD with server-side apply (forced, as `fieldManager`) and waits until the API server
 * serves it. Idempotent. Needs `create`/`patch` on customresourcedefinitions, which the running
 * module does not have and does not need.
 */
export async function applyCrd(
  client: ApiClient,
  crd: { metadata: { name: string } },
  options: { fieldManager: string; timeoutMs?: number },
): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
  await client.request({
    method: "PATCH",
    path,
    query: { fieldManager: options.fieldManager, force: true },
    body: crd,
    contentType: "application/apply-patch+yaml",
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await client.request<CrdStatus>({ path });
    if (status.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) {
      throw new Error(`the ${crd.metadata.name} CRD was not established in ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Installs (or updates) the CapstanStore CRD; deploy, dev mode and tests call it freely. */
export function installStoreCrd(client: ApiClient, options: { timeoutMs?: number } = {}): Promise<void> {
  return applyCrd(client, storeCrd, { fieldManager: "capstan", timeoutMs: options.timeoutMs });
}
