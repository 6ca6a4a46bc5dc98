import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { ApiClient } from "../../src/k8s/api-client.ts";

/** A client with cluster-admin rights on the test control plane. */
export function adminClient(): Promise<ApiClient> {
  return ApiClient.fromKubeconfig({ kubeconfig: inject("kubeconfig") });
}

/** Creates a namespace no other test uses, labelled so webhook selectors can target it. */
export async function freshNamespace(client: ApiClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  await client.request({
    method: "POST",
    path: "/api/v1/namespaces",
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "capstan.dev/test": prefix } } },
  });
  return name;
}

/** Retries `check` until it returns a value other than undefined, or fails with the last error. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new Error(`timed out waiting for ${options.what ?? "a condition"}${lastError ? `: ${String(lastError)}` : ""}`);
}
