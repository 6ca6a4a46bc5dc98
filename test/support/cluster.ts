import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { ApiClient } from "../../src/k8s/api-client.ts";

export { eventually } from "../../src/testing/cluster.ts";

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
