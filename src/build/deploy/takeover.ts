// Taking over a module that Pepr 1.1.4 deployed. capstan's Pepr-mode objects carry Pepr's names, so
// applying them replaces Pepr's Deployments in place; what needs care is the moment the webhooks
// change: Pepr's webhook path (`pepr-<uuid>-api-path`) and CA must keep working until capstan's pods
// serve, and the objects only Pepr made are deleted once nothing calls them.

import { RuntimeEnv } from "../../contract/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { NotFoundError } from "../../k8s/index.ts";
import { flavorNames } from "../../model/index.ts";
import type { KubeObject } from "../manifest-input.ts";
import { describeObject, objectPath } from "./object-paths.ts";

/** A running Pepr deployment of the module being deployed. */
export interface PeprDeployment {
  readonly uuid: string;
  readonly namespace: string;
  /** The path segment Pepr's webhooks call (`/mutate/<apiPath>`), from `pepr-<uuid>-api-path`. */
  readonly apiPath: string;
}

interface SecretData {
  data?: Record<string, string>;
}

function isWebhookConfiguration(object: KubeObject): boolean {
  return object.kind === "MutatingWebhookConfiguration" || object.kind === "ValidatingWebhookConfiguration";
}

/** The module's uuid and namespace as the manifests give them (Pepr-mode manifests only). */
function moduleOf(objects: readonly KubeObject[]): { uuid: string; namespace: string } | undefined {
  const uuidLabel = flavorNames("pepr").uuidLabel;
  const deployment = objects.find((object) => object.kind === "Deployment" && object.metadata.labels?.[uuidLabel]);
  const uuid = deployment?.metadata.labels?.[uuidLabel];
  const namespace = deployment?.metadata.namespace;
  return typeof uuid === "string" && namespace ? { uuid, namespace } : undefined;
}

/**
 * Finds Pepr's deployment of this module by the Secret only Pepr's deploy makes, `pepr-<uuid>-api-path`;
 * undefined for capstan's manifests, a first install, or a module capstan already took over.
 */
export async function findPeprDeployment(
  client: ApiClient,
  objects: readonly KubeObject[],
): Promise<PeprDeployment | undefined> {
  const module = moduleOf(objects);
  if (!module) return undefined;
  const name = `${flavorNames("pepr").objectPrefix(module.uuid)}-api-path`;
  try {
    const secret = await client.request<SecretData>({
      path: `/api/v1/namespaces/${encodeURIComponent(module.namespace)}/secrets/${encodeURIComponent(name)}`,
    });
    const value = secret.data?.value;
    if (!value) return undefined;
    return { ...module, apiPath: Buffer.from(value, "base64").toString("utf8").trim() };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * The manifests with Pepr's webhook path accepted by capstan's admission pods as well: during the
 * rollout the Service sends Pepr's path to old and new pods alike. The next deploy drops it again.
 */
export function acceptingPeprPath(objects: readonly KubeObject[], pepr: PeprDeployment): KubeObject[] {
  return objects.map((object) => {
    if (object.kind !== "Deployment") return object;
    const spec = object.spec as { template: { spec: { containers: { env?: { name: string }[] }[] } } };
    const serves = (container: { env?: { name: string }[] }) =>
      container.env?.some((variable) => variable.name === RuntimeEnv.apiPath) === true;
    if (!spec.template.spec.containers.some(serves)) return object;
    const containers = spec.template.spec.containers.map((container) =>
      serves(container)
        ? { ...container, env: [...(container.env ?? []), { name: RuntimeEnv.takeoverApiPath, value: pepr.apiPath }] }
        : container,
    );
    return {
      ...object,
      spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers } } },
    };
  });
}

/** The webhook configurations first, everything else after; `capstan deploy` applies them in two steps. */
export function splitWebhooks(objects: readonly KubeObject[]): { webhooks: KubeObject[]; rest: KubeObject[] } {
  return {
    webhooks: objects.filter(isWebhookConfiguration),
    rest: objects.filter((object) => !isWebhookConfiguration(object)),
  };
}

/**
 * The webhook configurations with every webhook's caBundle set to the trust bundle the runtime keeps
 * in its TLS Secret (`ca-bundle.crt`), so an apply never leaves a webhook without one. Left as built
 * when that Secret does not exist yet (a first install: the runtime fills it on start).
 */
export async function withCurrentCaBundle(
  client: ApiClient,
  webhooks: readonly KubeObject[],
  tlsSecret: { namespace: string; name: string },
): Promise<KubeObject[]> {
  let trustBundle: string | undefined;
  try {
    const secret = await client.request<SecretData>({
      path: `/api/v1/namespaces/${encodeURIComponent(tlsSecret.namespace)}/secrets/${encodeURIComponent(tlsSecret.name)}`,
    });
    trustBundle = secret.data?.["ca-bundle.crt"] ?? secret.data?.["ca.crt"];
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (!trustBundle) return [...webhooks];
  const caBundle = trustBundle;
  return webhooks.map((object) => {
    const list = (object as { webhooks?: { clientConfig: Record<string, unknown> }[] }).webhooks ?? [];
    return {
      ...object,
      webhooks: list.map((webhook) => ({ ...webhook, clientConfig: { ...webhook.clientConfig, caBundle } })),
    };
  });
}

/** An object Pepr 1.1.4's deploy makes for a module (src/lib/assets/yaml/generateAllYaml.ts). */
function peprObjects(uuid: string, namespace: string): KubeObject[] {
  const name = flavorNames("pepr").objectPrefix(uuid);
  const namespaced = (apiVersion: string, kind: string, objectName: string): KubeObject => ({
    apiVersion,
    kind,
    metadata: { name: objectName, namespace },
  });
  const cluster = (apiVersion: string, kind: string): KubeObject => ({ apiVersion, kind, metadata: { name } });
  const rbac = "rbac.authorization.k8s.io/v1";
  const admission = "admissionregistration.k8s.io/v1";
  return [
    cluster(rbac, "ClusterRole"),
    cluster(rbac, "ClusterRoleBinding"),
    namespaced("v1", "ServiceAccount", name),
    namespaced("v1", "Secret", `${name}-api-path`),
    namespaced("v1", "Secret", `${name}-module`),
    namespaced(rbac, "Role", `${name}-store`),
    namespaced(rbac, "RoleBinding", `${name}-store`),
    namespaced("apps/v1", "Deployment", `${name}-watcher`),
    namespaced("apps/v1", "Deployment", name),
    namespaced("v1", "Service", name),
    namespaced("v1", "Service", `${name}-watcher`),
    cluster(admission, "MutatingWebhookConfiguration"),
    cluster(admission, "ValidatingWebhookConfiguration"),
  ];
}

const identity = (object: KubeObject) => `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;

/**
 * The objects Pepr's deploy made that the manifests do not replace (its api-path and module Secrets
 * always; a role's Deployment, Service or webhook configuration the capstan build has no use for).
 * The TLS Secret stays (capstan's runtime took it over), so do the PeprStore CRD and the PeprStores:
 * other Pepr modules and a rollback read them.
 */
export function peprLeftovers(pepr: PeprDeployment, objects: readonly KubeObject[]): KubeObject[] {
  const kept = new Set(objects.map(identity));
  return peprObjects(pepr.uuid, pepr.namespace).filter((object) => !kept.has(identity(object)));
}

/** Deletes the leftovers that exist; returns the description of each one deleted. */
export async function deletePeprLeftovers(client: ApiClient, leftovers: readonly KubeObject[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const object of leftovers) {
    try {
      await client.request({ method: "DELETE", path: objectPath(object) });
      deleted.push(describeObject(object));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return deleted;
}

interface LiveWorkload {
  metadata: { name: string; uid?: string; ownerReferences?: { uid: string }[] };
  spec?: { selector?: { matchLabels?: Record<string, string> }; template?: { spec?: { containers?: ContainerEnv[] } } };
}

interface ContainerEnv {
  env?: { name: string }[];
}

/** Pepr's pods a takeover keeps running until the webhooks have switched, with the labels their Services select. */
export type OrphanedPods = readonly { readonly name: string; readonly selector: Record<string, string> }[];

function selectorQuery(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

async function deleteAndWait(client: ApiClient, path: string, propagationPolicy: "Orphan"): Promise<void> {
  try {
    await client.request({
      method: "DELETE",
      path,
      body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy },
    });
  } catch (error) {
    if (error instanceof NotFoundError) return;
    throw error;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.request({ path });
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`${path} was not deleted within 60 s (is the garbage collector running?)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Deletes Pepr's Deployments that the manifests replace, and their ReplicaSets, leaving their pods
 * running on their own. A rolling update would stop Pepr's pods as soon as capstan's are available,
 * while the API server still holds keep-alive connections to them (Pepr closes idle connections
 * abruptly on SIGTERM): orphaned, they serve until the webhooks have switched and are then retired.
 */
export async function orphanPeprPods(client: ApiClient, manifests: readonly KubeObject[]): Promise<OrphanedPods> {
  const orphaned: { name: string; selector: Record<string, string> }[] = [];
  for (const deployment of manifests.filter((object) => object.kind === "Deployment")) {
    const path = objectPath(deployment);
    let live: LiveWorkload;
    try {
      live = await client.request<LiveWorkload>({ path });
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw error;
    }
    const capstans = (live.spec?.template?.spec?.containers ?? []).some((container) =>
      container.env?.some((variable) => variable.name === RuntimeEnv.role),
    );
    const matchLabels = live.spec?.selector?.matchLabels;
    if (capstans || !matchLabels) continue;
    await deleteAndWait(client, path, "Orphan");
    const namespace = encodeURIComponent(deployment.metadata.namespace ?? "");
    const replicaSets = `/apis/apps/v1/namespaces/${namespace}/replicasets`;
    const list = await client.request<{ items: LiveWorkload[] }>({
      path: replicaSets,
      query: { labelSelector: selectorQuery(matchLabels) },
    });
    for (const replicaSet of list.items) {
      if ((replicaSet.metadata.ownerReferences ?? []).length > 0) continue;
      await deleteAndWait(client, `${replicaSets}/${encodeURIComponent(replicaSet.metadata.name)}`, "Orphan");
    }
    // Listed now, before capstan's Deployments exist: every pod the selector matches is Pepr's.
    const pods = await client.request<{ items: LiveWorkload[] }>({
      path: `/api/v1/namespaces/${namespace}/pods`,
      query: { labelSelector: selectorQuery(matchLabels) },
    });
    for (const pod of pods.items) orphaned.push({ name: pod.metadata.name, selector: matchLabels });
  }
  return orphaned;
}

const retiredLabel = "capstan.dev/retired-pepr-pod";

/**
 * Takes the orphaned Pepr pods out of their Services (their selector labels removed) without
 * stopping them: connections the API server already holds still reach a live server.
 */
export async function detachOrphanedPods(client: ApiClient, namespace: string, pods: OrphanedPods): Promise<void> {
  for (const { name, selector } of pods) {
    const labels: Record<string, string | null> = Object.fromEntries(Object.keys(selector).map((key) => [key, null]));
    labels[retiredLabel] = "true";
    await client
      .request({
        method: "PATCH",
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
        contentType: "application/merge-patch+json",
        body: { metadata: { labels } },
      })
      .catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
  }
}

/** Deletes the detached Pepr pods; returns how many. */
export async function deleteDetachedPods(client: ApiClient, namespace: string): Promise<number> {
  const pods = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const list = await client.request<{ items: LiveWorkload[] }>({
    path: pods,
    query: { labelSelector: `${retiredLabel}=true` },
  });
  for (const pod of list.items) {
    await client
      .request({ method: "DELETE", path: `${pods}/${encodeURIComponent(pod.metadata.name)}` })
      .catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
  }
  return list.items.length;
}

/** The longest webhook timeout of the configurations: requests on old connections finish within it. */
export function longestWebhookTimeoutMs(webhooks: readonly KubeObject[]): number {
  const seconds = webhooks.flatMap((object) =>
    ((object as { webhooks?: { timeoutSeconds?: number }[] }).webhooks ?? []).map(
      (webhook) => webhook.timeoutSeconds ?? 10,
    ),
  );
  return Math.max(0, ...seconds) * 1000;
}

/**
 * Waits until no EndpointSlice of the namespace lists the detached pods, then a little longer for
 * the API server's own view of the endpoints: only then do new connections reach capstan's pods alone.
 */
export async function waitUntilDetached(
  client: ApiClient,
  namespace: string,
  pods: OrphanedPods,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<void> {
  const names = new Set(pods.map((pod) => pod.name));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const slices = await client.request<{ items: { endpoints?: { targetRef?: { name?: string } }[] }[] }>({
      path: `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`,
    });
    const listed = slices.items.some((slice) =>
      (slice.endpoints ?? []).some((endpoint) => names.has(endpoint.targetRef?.name ?? "")),
    );
    if (!listed) break;
    if (Date.now() > deadline) throw new Error("Pepr's pods stayed in their Services' endpoints for 60 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 2000));
}
