import { ApiClient } from "../k8s/index.ts";

let shared: Promise<ApiClient> | undefined;

/** The client `K8s()` uses unless given one: built once from the kubeconfig or the in-cluster service account. */
export function defaultClient(): Promise<ApiClient> {
  if (!shared) {
    shared = ApiClient.fromKubeconfig();
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/** Replaces the shared default client (tests, custom connections); `undefined` goes back to the kubeconfig. */
export function setDefaultClient(client: ApiClient | undefined): void {
  shared = client ? Promise.resolve(client) : undefined;
}
