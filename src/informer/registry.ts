import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import { Informer } from "./informer.ts";
import type { InformerHealth, InformerOptions, InformerScope } from "./types.ts";

const byClient = new WeakMap<ApiClient, Map<string, Informer>>();

/** The identity of a scope: equal keys share one informer. */
export function scopeKey(scope: InformerScope): string {
  const { kind } = scope;
  return JSON.stringify([
    kind.group,
    kind.version,
    kind.plural,
    kind.namespaced ? (scope.namespace ?? "") : "",
    scope.labelSelector ?? "",
    scope.fieldSelector ?? "",
  ]);
}

/**
 * The one informer for this client and scope (kind, namespace, label and field selector), created
 * on first use and shared by every later caller. Options other than the scope (transform,
 * timeouts) apply only when this call creates it. The informer leaves the registry when stopped.
 */
export function sharedInformer<T extends KubernetesObject = KubernetesObject>(
  client: ApiClient,
  options: InformerOptions,
): Informer<T> {
  let informers = byClient.get(client);
  if (!informers) {
    informers = new Map();
    byClient.set(client, informers);
  }
  const key = scopeKey(options);
  const existing = informers.get(key);
  if (existing && !existing.stopped) return existing as unknown as Informer<T>;
  const registered = informers;
  const created: Informer<T> = new Informer<T>(client, options, () => {
    if (registered.get(key) === (created as unknown as Informer)) registered.delete(key);
  });
  informers.set(key, created as unknown as Informer);
  return created;
}

/** Health of every running informer of a client, for readiness checks. */
export function informerHealth(client: ApiClient): InformerHealth[] {
  return [...(byClient.get(client)?.values() ?? [])].map((informer) => informer.health());
}

/** Stops every informer of a client (shutdown, tests). */
export async function stopInformers(client: ApiClient): Promise<void> {
  await Promise.all([...(byClient.get(client)?.values() ?? [])].map((informer) => informer.stop()));
}
