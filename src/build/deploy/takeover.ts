// Taking over a module that Pepr 1.1.4 deployed. capstan's Pepr-mode objects carry Pepr's names, so
// applying them replaces Pepr's Deployments in place; what needs care is the moment the webhooks
// change: Pepr's webhook path (`pepr-<uuid>-api-path`) and CA must keep working until capstan's pods
// serve, and the objects only Pepr made are deleted once nothing calls them.
import type { ApiClient } from "../../k8s/api-client.ts";
import { NotFoundError } from "../../k8s/errors.ts";
import { flavorNames } from "../../model/flavor.ts";
import type { KubeObject } from "../manifest-input.ts";
import { RuntimeEnv } from "../runtime-contract.ts";
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
    namespaced("v1", "Secret", `${name}-tls`),
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
 * The PeprStore CRD and the PeprStore stay: other Pepr modules and a rollback read them.
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
