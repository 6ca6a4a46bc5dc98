import type { ApiClient } from "../../k8s/index.ts";
import { NotFoundError } from "../../k8s/index.ts";
import type { KubeObject } from "../manifest-input.ts";
import { applyObject } from "./apply.ts";
import { describeObject, objectPath } from "./object-paths.ts";

// What a deploy whose rollout timed out puts back: each Deployment that existed before returns to
// its previous spec (its previous ReplicaSet scales back up; with `maxUnavailable: 0` its pods never
// went away), and a webhook configuration whose Service has no ready endpoint is removed, since with
// `failurePolicy: Fail` it would reject every request it matches.

interface LiveObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { template?: unknown } & Record<string, unknown>;
}

/** A Deployment as it was before this deploy applied its new version (undefined: it did not exist). */
export type DeploymentSnapshot = ReadonlyMap<string, LiveObject | undefined>;

export async function snapshotDeployments(
  client: ApiClient,
  deployments: readonly KubeObject[],
): Promise<DeploymentSnapshot> {
  const snapshot = new Map<string, LiveObject | undefined>();
  for (const deployment of deployments) {
    try {
      snapshot.set(objectPath(deployment), await client.request<LiveObject>({ path: objectPath(deployment) }));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      snapshot.set(objectPath(deployment), undefined);
    }
  }
  return snapshot;
}

// Annotations the deployment controller or kubectl own; applying them back would claim them.
const foreignAnnotations = ["deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration"];

/** The API server returns `creationTimestamp: null` in a template's metadata; an applied config leaves it out. */
function withoutNullTimestamps(spec: LiveObject["spec"]): LiveObject["spec"] {
  const copy = structuredClone(spec) as { template?: { metadata?: Record<string, unknown> } } | undefined;
  if (copy?.template?.metadata && copy.template.metadata.creationTimestamp === null) {
    delete copy.template.metadata.creationTimestamp;
  }
  return copy as LiveObject["spec"];
}

function previousVersion(deployment: KubeObject, previous: LiveObject): KubeObject {
  const annotations = Object.fromEntries(
    Object.entries(previous.metadata.annotations ?? {}).filter(([key]) => !foreignAnnotations.includes(key)),
  );
  return {
    apiVersion: deployment.apiVersion,
    kind: deployment.kind,
    metadata: {
      name: deployment.metadata.name,
      namespace: deployment.metadata.namespace,
      ...(previous.metadata.labels ? { labels: previous.metadata.labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: withoutNullTimestamps(previous.spec),
  } as KubeObject;
}

/**
 * Puts each Deployment whose pod template this deploy changed back to its previous spec (applied,
 * forced, as the deploy's field manager). Returns one line per Deployment rolled back.
 */
export async function rollBackDeployments(
  client: ApiClient,
  deployments: readonly KubeObject[],
  snapshot: DeploymentSnapshot,
  fieldManager: string,
): Promise<string[]> {
  const lines: string[] = [];
  for (const deployment of deployments) {
    const previous = snapshot.get(objectPath(deployment));
    if (!previous?.spec) continue;
    const current = await client.request<LiveObject>({ path: objectPath(deployment) });
    if (JSON.stringify(current.spec?.template) === JSON.stringify(previous.spec.template)) continue;
    await applyObject(client, previousVersion(deployment, previous), { fieldManager, force: true });
    lines.push(`rolled ${describeObject(deployment)} back to its previous version`);
  }
  return lines;
}

interface WebhookConfiguration {
  metadata: { name: string };
  webhooks?: { clientConfig?: { service?: { name: string; namespace: string } } }[];
}

interface EndpointSlice {
  endpoints?: { conditions?: { ready?: boolean } }[];
}

/** Whether a Service has at least one ready endpoint (EndpointSlices, as kube-proxy and the API server see it). */
export async function serviceHasReadyEndpoint(client: ApiClient, namespace: string, name: string): Promise<boolean> {
  const list = await client.request<{ items: EndpointSlice[] }>({
    path: `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`,
    query: { labelSelector: `kubernetes.io/service-name=${name}` },
  });
  return list.items.some((slice) => (slice.endpoints ?? []).some((endpoint) => endpoint.conditions?.ready !== false));
}

/**
 * Deletes each of the module's webhook configurations (as named in the manifests) that exists and
 * calls a Service nothing serves. Returns one line per configuration: removed, or kept and why.
 */
export async function removeUnservedWebhooks(client: ApiClient, webhooks: readonly KubeObject[]): Promise<string[]> {
  const lines: string[] = [];
  for (const webhook of webhooks) {
    let live: WebhookConfiguration;
    try {
      live = await client.request<WebhookConfiguration>({ path: objectPath(webhook) });
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw error;
    }
    const services = (live.webhooks ?? []).flatMap((entry) =>
      entry.clientConfig?.service ? [entry.clientConfig.service] : [],
    );
    if (services.length === 0) {
      lines.push(`kept ${describeObject(webhook)}: it calls a URL (a dev session?), not the module's Service`);
      continue;
    }
    const served = await Promise.all(services.map((s) => serviceHasReadyEndpoint(client, s.namespace, s.name)));
    if (served.every(Boolean)) {
      lines.push(`kept ${describeObject(webhook)}: the previous version's pods still serve it`);
      continue;
    }
    try {
      await client.request({ method: "DELETE", path: objectPath(webhook) });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    lines.push(
      `removed ${describeObject(webhook)}: no ready pod serves it, so it would reject the requests it matches`,
    );
  }
  return lines;
}
