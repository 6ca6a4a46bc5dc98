import { resourceNames } from "../../contract/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { ApiError, NotFoundError } from "../../k8s/index.ts";
import { type Flavor, flavorNames, flavors } from "../../model/index.ts";
import type { KubeObject } from "../manifest-input.ts";
import { describeObject, listPath, objectPath } from "./object-paths.ts";

// Everything a module's deploy (and its running pods) made, found by the module's uuid label and by
// the names derived from its uuid, and deleted so that nothing is left that could reject a request:
// webhook configurations first, then the workloads, then what they used. The CRD stays (every module
// of the flavor shares it); the Store objects and the namespace stay unless `purge` is set.

export interface UndeployOptions {
  /** Only this flavor's names and label (default: both, capstan's and Pepr's). */
  readonly flavor?: Flavor;
  /** Also look for named objects here (the namespace of the module's config). */
  readonly namespace?: string;
  /** Also delete the module's Store objects, and its namespace when no other module uses it. */
  readonly purge?: boolean;
  readonly dryRun?: boolean;
  readonly onDeleted?: (description: string) => void;
}

/** Kinds carrying the module's uuid label, in deletion order. */
const labelled: readonly (readonly [string, string])[] = [
  // ValidateCEL bindings' policies: the binding first, so the policy is never left half bound.
  ["admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"],
  ["admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"],
  ["admissionregistration.k8s.io/v1", "MutatingAdmissionPolicyBinding"],
  ["admissionregistration.k8s.io/v1", "MutatingAdmissionPolicy"],
  ["admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"],
  ["admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"],
  ["apps/v1", "Deployment"],
  ["policy/v1", "PodDisruptionBudget"],
  ["v1", "Service"],
  ["v1", "Secret"],
  ["v1", "ConfigMap"],
  ["coordination.k8s.io/v1", "Lease"],
  ["rbac.authorization.k8s.io/v1", "RoleBinding"],
  ["rbac.authorization.k8s.io/v1", "Role"],
  ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding"],
  ["rbac.authorization.k8s.io/v1", "ClusterRole"],
  ["v1", "ServiceAccount"],
];
const order = (object: KubeObject) =>
  labelled.findIndex(([apiVersion, kind]) => object.apiVersion === apiVersion && object.kind === kind);

const PROTECTED_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

const ref = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }) as KubeObject;

/** The objects a flavor's deploy and runtime name after the uuid, in `namespace` and cluster-wide. */
function namedObjects(uuid: string, flavor: Flavor, namespace: string | undefined): KubeObject[] {
  const names = resourceNames(uuid, flavor);
  const rbac = "rbac.authorization.k8s.io/v1";
  const cluster = [
    ref("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", names.webhookConfiguration),
    ref("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", names.webhookConfiguration),
    ref(rbac, "ClusterRoleBinding", names.clusterRole),
    ref(rbac, "ClusterRole", names.clusterRole),
  ];
  if (!namespace) return cluster;
  const roles = ["admission", "controller"] as const;
  return [
    ...cluster,
    ...roles.flatMap((role) => [
      ref("apps/v1", "Deployment", names.deployment(role), namespace),
      ref("v1", "Service", names.service(role), namespace),
    ]),
    ref("policy/v1", "PodDisruptionBudget", names.deployment("admission"), namespace),
    ref("v1", "Secret", names.tlsSecret, namespace),
    ref("coordination.k8s.io/v1", "Lease", names.lease, namespace),
    ref(rbac, "RoleBinding", names.role, namespace),
    ref(rbac, "Role", names.role, namespace),
    ref("v1", "ServiceAccount", names.serviceAccount, namespace),
    // What Pepr 1.1.4's own deploy makes besides: its api-path and module Secrets.
    ...(flavor === "pepr"
      ? [
          ref("v1", "Secret", `${names.prefix}-api-path`, namespace),
          ref("v1", "Secret", `${names.prefix}-module`, namespace),
        ]
      : []),
  ];
}

/** The module's Store objects (capstan's, and Pepr's own in Pepr mode). */
function storeObjects(uuid: string, flavor: Flavor, namespace: string): KubeObject[] {
  const names = resourceNames(uuid, flavor);
  return [
    ref("capstan.dev/v1", "CapstanStore", names.store, namespace),
    ...(flavor === "pepr"
      ? [
          ref("pepr.dev/v1", "PeprStore", `${names.prefix}-store`, namespace),
          ref("pepr.dev/v1", "PeprStore", `${names.prefix}-schedule`, namespace),
        ]
      : []),
  ];
}

async function exists(client: ApiClient, object: KubeObject): Promise<boolean> {
  try {
    await client.request({ path: objectPath(object) });
    return true;
  } catch (error) {
    // 404 also when the kind itself is not served (a Store CRD never installed).
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/**
 * The module's objects on the cluster, in deletion order (webhook configurations first). With
 * `purge`, its Store objects too.
 */
export async function findModuleObjects(
  client: ApiClient,
  uuid: string,
  options: Pick<UndeployOptions, "flavor" | "namespace" | "purge"> = {},
): Promise<KubeObject[]> {
  const found = new Map<string, KubeObject>();
  const add = (object: KubeObject) => found.set(objectPath(object), object);
  const chosen = options.flavor ? [options.flavor] : flavors;
  const namespaces = new Set<string>(options.namespace ? [options.namespace] : []);
  for (const flavor of chosen) {
    const selector = `${flavorNames(flavor).uuidLabel}=${uuid}`;
    for (const [apiVersion, kind] of labelled) {
      const list = await client.request<{ items: KubeObject[] }>({
        path: listPath(apiVersion, kind),
        query: { labelSelector: selector },
      });
      for (const item of list.items) {
        add(ref(apiVersion, kind, item.metadata.name, item.metadata.namespace));
        if (item.metadata.namespace) namespaces.add(item.metadata.namespace);
      }
    }
  }
  for (const flavor of chosen) {
    const candidates = [undefined, ...namespaces].flatMap((namespace) => [
      ...namedObjects(uuid, flavor, namespace),
      ...(namespace && options.purge ? storeObjects(uuid, flavor, namespace) : []),
    ]);
    for (const object of candidates) {
      if (!found.has(objectPath(object)) && (await exists(client, object))) add(object);
    }
  }
  const rank = (object: KubeObject) => (order(object) < 0 ? labelled.length : order(object));
  return [...found.values()].sort((a, b) => rank(a) - rank(b));
}

async function deleteObject(client: ApiClient, object: KubeObject): Promise<boolean> {
  try {
    await client.request({
      method: "DELETE",
      path: objectPath(object),
      ...(object.kind === "Deployment"
        ? { body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } }
        : {}),
    });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw new Error(
      `Deleting ${describeObject(object)} failed: ${error instanceof ApiError ? error.message : String(error)}`,
    );
  }
}

/** Whether a Deployment, Pod or Store object that is not the module's own is in `namespace`. */
async function othersIn(client: ApiClient, namespace: string, uuid: string): Promise<boolean> {
  const ns = encodeURIComponent(namespace);
  const paths = [
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    `/api/v1/namespaces/${ns}/pods`,
    `/apis/capstan.dev/v1/namespaces/${ns}/capstanstores`,
    `/apis/pepr.dev/v1/namespaces/${ns}/peprstores`,
  ];
  for (const path of paths) {
    let items: KubeObject[];
    try {
      items = (await client.request<{ items: KubeObject[] }>({ path })).items;
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw error;
    }
    const foreign = items.filter((item) => {
      const labels = item.metadata.labels ?? {};
      const owner = flavors.map((flavor) => labels[flavorNames(flavor).uuidLabel]).find(Boolean);
      const ours = owner === uuid || flavors.some((flavor) => item.metadata.name.startsWith(`${flavor}-${uuid}`));
      return !ours;
    });
    if (foreign.length > 0) return true;
  }
  return false;
}

export interface UndeployResult {
  /** What was deleted (or, on a dry run, would be), in order. */
  readonly deleted: readonly string[];
  /** The namespaces the module lived in and what became of each. */
  readonly namespaces: readonly string[];
}

/** Deletes every object of the module; running it again finds nothing and deletes nothing. */
export async function undeployModule(
  client: ApiClient,
  uuid: string,
  options: UndeployOptions = {},
): Promise<UndeployResult> {
  const objects = await findModuleObjects(client, uuid, options);
  const deleted: string[] = [];
  for (const object of objects) {
    if (options.dryRun || (await deleteObject(client, object))) {
      deleted.push(describeObject(object));
      options.onDeleted?.(describeObject(object));
    }
  }
  const namespaces = [
    ...new Set(objects.flatMap((object) => (object.metadata.namespace ? [object.metadata.namespace] : []))),
  ];
  const notes: string[] = [];
  for (const namespace of namespaces) {
    if (!options.purge) {
      notes.push(`kept namespace ${namespace} (and the module's Store objects in it): --purge removes them`);
    } else if (PROTECTED_NAMESPACES.has(namespace) || (await othersIn(client, namespace, uuid))) {
      notes.push(`kept namespace ${namespace}: other modules or workloads use it`);
    } else {
      const namespaceObject = ref("v1", "Namespace", namespace);
      if (options.dryRun || (await deleteObject(client, namespaceObject))) {
        deleted.push(describeObject(namespaceObject));
        options.onDeleted?.(describeObject(namespaceObject));
      }
      notes.push(`deleted namespace ${namespace}`);
    }
  }
  return { deleted, namespaces: notes };
}
