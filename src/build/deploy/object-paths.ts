import type { KubeObject } from "../manifest-input.ts";

interface KindPath {
  readonly base: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

// The kinds `capstan build` writes, and the ones the runtime makes that `capstan undeploy` removes
// (Lease, Store objects). A manifest with any other kind is refused with its name.
const kinds: Readonly<Record<string, KindPath>> = {
  "coordination.k8s.io/v1/Lease": { base: "/apis/coordination.k8s.io/v1", plural: "leases", namespaced: true },
  "capstan.dev/v1/CapstanStore": { base: "/apis/capstan.dev/v1", plural: "capstanstores", namespaced: true },
  "pepr.dev/v1/PeprStore": { base: "/apis/pepr.dev/v1", plural: "peprstores", namespaced: true },
  "v1/Namespace": { base: "/api/v1", plural: "namespaces", namespaced: false },
  "v1/ServiceAccount": { base: "/api/v1", plural: "serviceaccounts", namespaced: true },
  "v1/Secret": { base: "/api/v1", plural: "secrets", namespaced: true },
  "v1/Service": { base: "/api/v1", plural: "services", namespaced: true },
  "v1/ConfigMap": { base: "/api/v1", plural: "configmaps", namespaced: true },
  "apps/v1/Deployment": { base: "/apis/apps/v1", plural: "deployments", namespaced: true },
  "policy/v1/PodDisruptionBudget": { base: "/apis/policy/v1", plural: "poddisruptionbudgets", namespaced: true },
  "rbac.authorization.k8s.io/v1/ClusterRole": {
    base: "/apis/rbac.authorization.k8s.io/v1",
    plural: "clusterroles",
    namespaced: false,
  },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": {
    base: "/apis/rbac.authorization.k8s.io/v1",
    plural: "clusterrolebindings",
    namespaced: false,
  },
  "rbac.authorization.k8s.io/v1/Role": {
    base: "/apis/rbac.authorization.k8s.io/v1",
    plural: "roles",
    namespaced: true,
  },
  "rbac.authorization.k8s.io/v1/RoleBinding": {
    base: "/apis/rbac.authorization.k8s.io/v1",
    plural: "rolebindings",
    namespaced: true,
  },
  "apiextensions.k8s.io/v1/CustomResourceDefinition": {
    base: "/apis/apiextensions.k8s.io/v1",
    plural: "customresourcedefinitions",
    namespaced: false,
  },
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": {
    base: "/apis/admissionregistration.k8s.io/v1",
    plural: "mutatingwebhookconfigurations",
    namespaced: false,
  },
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": {
    base: "/apis/admissionregistration.k8s.io/v1",
    plural: "validatingadmissionpolicies",
    namespaced: false,
  },
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": {
    base: "/apis/admissionregistration.k8s.io/v1",
    plural: "validatingadmissionpolicybindings",
    namespaced: false,
  },
  "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy": {
    base: "/apis/admissionregistration.k8s.io/v1",
    plural: "mutatingadmissionpolicies",
    namespaced: false,
  },
  "admissionregistration.k8s.io/v1/MutatingAdmissionPolicyBinding": {
    base: "/apis/admissionregistration.k8s.io/v1",
    plural: "mutatingadmissionpolicybindings",
    namespaced: false,
  },
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": {
    base: "/apis/admissionregistration.k8s.io/v1",
    plural: "validatingwebhookconfigurations",
    namespaced: false,
  },
};

export function describeObject(object: KubeObject): string {
  const namespace = object.metadata.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.kind} ${namespace}${object.metadata.name}`;
}

/** The REST path of one object (`.../namespaces/<ns>/<plural>/<name>`). */
export function objectPath(object: KubeObject): string {
  const kind = kinds[`${object.apiVersion}/${object.kind}`];
  if (!kind)
    throw new Error(`${describeObject(object)}: capstan deploy does not know kind ${object.apiVersion} ${object.kind}`);
  const name = encodeURIComponent(object.metadata.name);
  if (!kind.namespaced) return `${kind.base}/${kind.plural}/${name}`;
  const namespace = object.metadata.namespace;
  if (!namespace) throw new Error(`${describeObject(object)}: a namespaced object needs metadata.namespace`);
  return `${kind.base}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}/${name}`;
}

/** The cluster-wide list path of a kind (`/apis/apps/v1/deployments`), for label-selected lists. */
export function listPath(apiVersion: string, kind: string): string {
  const path = kinds[`${apiVersion}/${kind}`];
  if (!path) throw new Error(`capstan does not know kind ${apiVersion} ${kind}`);
  return `${path.base}/${path.plural}`;
}
