import type { InformerEvent } from "../../../src/informer/types.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { type KubernetesObject, kindOf } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { resourcePath } from "../../../src/k8s/paths.ts";

export const configMapKind = kindOf(ConfigMap);

export function configMapPath(namespace: string, name?: string): string {
  return resourcePath(configMapKind, { namespace, name });
}

export async function createConfigMap(
  client: ApiClient,
  namespace: string,
  name: string,
  data: Record<string, string> = {},
): Promise<KubernetesObject> {
  return client.request({
    method: "POST",
    path: configMapPath(namespace),
    body: { metadata: { name, namespace }, data },
  });
}

export async function updateConfigMap(
  client: ApiClient,
  namespace: string,
  name: string,
  data: Record<string, string>,
): Promise<KubernetesObject> {
  return client.request({
    method: "PATCH",
    path: configMapPath(namespace, name),
    contentType: "application/merge-patch+json",
    body: { data },
  });
}

export async function deleteConfigMap(client: ApiClient, namespace: string, name: string): Promise<void> {
  await client.request({ method: "DELETE", path: configMapPath(namespace, name) });
}

/** namespace/name → resourceVersion of every ConfigMap the server lists (optionally one label selector). */
export async function serverState(
  client: ApiClient,
  options: { namespace?: string; labelSelector?: string } = {},
): Promise<Map<string, string>> {
  const list = await client.request<{ items: KubernetesObject[] }>({
    path: resourcePath(configMapKind, { namespace: options.namespace }),
    query: { labelSelector: options.labelSelector },
  });
  return new Map(
    list.items.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o.metadata?.resourceVersion ?? ""]),
  );
}

export function cacheState(objects: KubernetesObject[]): Map<string, string> {
  return new Map(
    objects.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o.metadata?.resourceVersion ?? ""]),
  );
}

export function describeEvent(event: InformerEvent): string {
  const data = (event.object as { data?: Record<string, string> }).data;
  return `${event.type} ${event.object.metadata?.name}${data ? ` ${JSON.stringify(data)}` : ""}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The controller manager puts this ConfigMap into every namespace; tests ignore it in event counts. */
export function isRootCa(event: InformerEvent): boolean {
  return event.object.metadata?.name === "kube-root-ca.crt";
}
