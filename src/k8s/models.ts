import type * as k8s from "@kubernetes/client-node";
import { type KindClass, type KubernetesObject, registerBuiltIn, resolveKind } from "./kinds.ts";

// The `a` / `kind` namespace of module authors: one class per built-in kind, usable as a value
// (`When(a.Pod)`, `K8s(a.ConfigMap)`) and as a type (`a.Pod`).

/** A custom resource with no TypeScript type of its own. */
export class GenericKind implements KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: k8s.V1ObjectMeta;
  [key: string]: unknown;
}

function builtIn<T extends KubernetesObject>(
  className: string,
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
): KindClass<T> {
  const info = resolveKind({ group, version, kind, plural, namespaced });
  const model = {
    [className]: class {
      constructor() {
        Object.assign(this, { apiVersion: info.apiVersion, kind: info.kind });
      }
    },
  }[className] as unknown as KindClass<T>;
  registerBuiltIn(model, info);
  return model;
}

const NS = true;
const CLUSTER = false;
const rbac = "rbac.authorization.k8s.io";
const admission = "admissionregistration.k8s.io";
const authz = "authorization.k8s.io";

export const APIService = builtIn<k8s.V1APIService>(
  "V1APIService",
  "apiregistration.k8s.io",
  "v1",
  "APIService",
  "apiservices",
  CLUSTER,
);
export type APIService = k8s.V1APIService;
export const CSIDriver = builtIn<k8s.V1CSIDriver>(
  "V1CSIDriver",
  "storage.k8s.io",
  "v1",
  "CSIDriver",
  "csidrivers",
  CLUSTER,
);
export type CSIDriver = k8s.V1CSIDriver;
export const CertificateSigningRequest = builtIn<k8s.V1CertificateSigningRequest>(
  "V1CertificateSigningRequest",
  "certificates.k8s.io",
  "v1",
  "CertificateSigningRequest",
  "certificatesigningrequests",
  CLUSTER,
);
export type CertificateSigningRequest = k8s.V1CertificateSigningRequest;
export const ClusterRole = builtIn<k8s.V1ClusterRole>(
  "V1ClusterRole",
  rbac,
  "v1",
  "ClusterRole",
  "clusterroles",
  CLUSTER,
);
export type ClusterRole = k8s.V1ClusterRole;
export const ClusterRoleBinding = builtIn<k8s.V1ClusterRoleBinding>(
  "V1ClusterRoleBinding",
  rbac,
  "v1",
  "ClusterRoleBinding",
  "clusterrolebindings",
  CLUSTER,
);
export type ClusterRoleBinding = k8s.V1ClusterRoleBinding;
export const ConfigMap = builtIn<k8s.V1ConfigMap>("V1ConfigMap", "", "v1", "ConfigMap", "configmaps", NS);
export type ConfigMap = k8s.V1ConfigMap;
export const ControllerRevision = builtIn<k8s.V1ControllerRevision>(
  "V1ControllerRevision",
  "apps",
  "v1",
  "ControllerRevision",
  "controllerrevisions",
  NS,
);
export type ControllerRevision = k8s.V1ControllerRevision;
export const CoreEvent = builtIn<k8s.CoreV1Event>("CoreV1Event", "", "v1", "Event", "events", NS);
export type CoreEvent = k8s.CoreV1Event;
export const CronJob = builtIn<k8s.V1CronJob>("V1CronJob", "batch", "v1", "CronJob", "cronjobs", NS);
export type CronJob = k8s.V1CronJob;
export const CustomResourceDefinition = builtIn<k8s.V1CustomResourceDefinition>(
  "V1CustomResourceDefinition",
  "apiextensions.k8s.io",
  "v1",
  "CustomResourceDefinition",
  "customresourcedefinitions",
  CLUSTER,
);
export type CustomResourceDefinition = k8s.V1CustomResourceDefinition;
export const DaemonSet = builtIn<k8s.V1DaemonSet>("V1DaemonSet", "apps", "v1", "DaemonSet", "daemonsets", NS);
export type DaemonSet = k8s.V1DaemonSet;
export const Deployment = builtIn<k8s.V1Deployment>("V1Deployment", "apps", "v1", "Deployment", "deployments", NS);
export type Deployment = k8s.V1Deployment;
export const EndpointSlice = builtIn<k8s.V1EndpointSlice>(
  "V1EndpointSlice",
  "discovery.k8s.io",
  "v1",
  "EndpointSlice",
  "endpointslices",
  NS,
);
export type EndpointSlice = k8s.V1EndpointSlice;
export const Endpoints = builtIn<k8s.V1Endpoints>("V1Endpoints", "", "v1", "Endpoints", "endpoints", NS);
export type Endpoints = k8s.V1Endpoints;
export const Event = builtIn<k8s.EventsV1Event>("EventsV1Event", "events.k8s.io", "v1", "Event", "events", NS);
export type Event = k8s.EventsV1Event;
export const HorizontalPodAutoscaler = builtIn<k8s.V2HorizontalPodAutoscaler>(
  "V2HorizontalPodAutoscaler",
  "autoscaling",
  "v2",
  "HorizontalPodAutoscaler",
  "horizontalpodautoscalers",
  NS,
);
export type HorizontalPodAutoscaler = k8s.V2HorizontalPodAutoscaler;
export const Ingress = builtIn<k8s.V1Ingress>("V1Ingress", "networking.k8s.io", "v1", "Ingress", "ingresses", NS);
export type Ingress = k8s.V1Ingress;
export const IngressClass = builtIn<k8s.V1IngressClass>(
  "V1IngressClass",
  "networking.k8s.io",
  "v1",
  "IngressClass",
  "ingressclasses",
  CLUSTER,
);
export type IngressClass = k8s.V1IngressClass;
export const Job = builtIn<k8s.V1Job>("V1Job", "batch", "v1", "Job", "jobs", NS);
export type Job = k8s.V1Job;
export const Lease = builtIn<k8s.V1Lease>("V1Lease", "coordination.k8s.io", "v1", "Lease", "leases", NS);
export type Lease = k8s.V1Lease;
export const LimitRange = builtIn<k8s.V1LimitRange>("V1LimitRange", "", "v1", "LimitRange", "limitranges", NS);
export type LimitRange = k8s.V1LimitRange;
export const LocalSubjectAccessReview = builtIn<k8s.V1LocalSubjectAccessReview>(
  "V1LocalSubjectAccessReview",
  authz,
  "v1",
  "LocalSubjectAccessReview",
  "localsubjectaccessreviews",
  NS,
);
export type LocalSubjectAccessReview = k8s.V1LocalSubjectAccessReview;
export const MutatingWebhookConfiguration = builtIn<k8s.V1MutatingWebhookConfiguration>(
  "V1MutatingWebhookConfiguration",
  admission,
  "v1",
  "MutatingWebhookConfiguration",
  "mutatingwebhookconfigurations",
  CLUSTER,
);
export type MutatingWebhookConfiguration = k8s.V1MutatingWebhookConfiguration;
export const Namespace = builtIn<k8s.V1Namespace>("V1Namespace", "", "v1", "Namespace", "namespaces", CLUSTER);
export type Namespace = k8s.V1Namespace;
export const NetworkPolicy = builtIn<k8s.V1NetworkPolicy>(
  "V1NetworkPolicy",
  "networking.k8s.io",
  "v1",
  "NetworkPolicy",
  "networkpolicies",
  NS,
);
export type NetworkPolicy = k8s.V1NetworkPolicy;
export const Node = builtIn<k8s.V1Node>("V1Node", "", "v1", "Node", "nodes", CLUSTER);
export type Node = k8s.V1Node;
export const PersistentVolume = builtIn<k8s.V1PersistentVolume>(
  "V1PersistentVolume",
  "",
  "v1",
  "PersistentVolume",
  "persistentvolumes",
  CLUSTER,
);
export type PersistentVolume = k8s.V1PersistentVolume;
export const PersistentVolumeClaim = builtIn<k8s.V1PersistentVolumeClaim>(
  "V1PersistentVolumeClaim",
  "",
  "v1",
  "PersistentVolumeClaim",
  "persistentvolumeclaims",
  NS,
);
export type PersistentVolumeClaim = k8s.V1PersistentVolumeClaim;
export const Pod = builtIn<k8s.V1Pod>("V1Pod", "", "v1", "Pod", "pods", NS);
export type Pod = k8s.V1Pod;
export const PodDisruptionBudget = builtIn<k8s.V1PodDisruptionBudget>(
  "V1PodDisruptionBudget",
  "policy",
  "v1",
  "PodDisruptionBudget",
  "poddisruptionbudgets",
  NS,
);
export type PodDisruptionBudget = k8s.V1PodDisruptionBudget;
export const PodTemplate = builtIn<k8s.V1PodTemplate>("V1PodTemplate", "", "v1", "PodTemplate", "podtemplates", NS);
export type PodTemplate = k8s.V1PodTemplate;
export const ReplicaSet = builtIn<k8s.V1ReplicaSet>("V1ReplicaSet", "apps", "v1", "ReplicaSet", "replicasets", NS);
export type ReplicaSet = k8s.V1ReplicaSet;
export const ReplicationController = builtIn<k8s.V1ReplicationController>(
  "V1ReplicationController",
  "",
  "v1",
  "ReplicationController",
  "replicationcontrollers",
  NS,
);
export type ReplicationController = k8s.V1ReplicationController;
export const ResourceQuota = builtIn<k8s.V1ResourceQuota>(
  "V1ResourceQuota",
  "",
  "v1",
  "ResourceQuota",
  "resourcequotas",
  NS,
);
export type ResourceQuota = k8s.V1ResourceQuota;
export const Role = builtIn<k8s.V1Role>("V1Role", rbac, "v1", "Role", "roles", NS);
export type Role = k8s.V1Role;
export const RoleBinding = builtIn<k8s.V1RoleBinding>("V1RoleBinding", rbac, "v1", "RoleBinding", "rolebindings", NS);
export type RoleBinding = k8s.V1RoleBinding;
export const RuntimeClass = builtIn<k8s.V1RuntimeClass>(
  "V1RuntimeClass",
  "node.k8s.io",
  "v1",
  "RuntimeClass",
  "runtimeclasses",
  CLUSTER,
);
export type RuntimeClass = k8s.V1RuntimeClass;
export const Secret = builtIn<k8s.V1Secret>("V1Secret", "", "v1", "Secret", "secrets", NS);
export type Secret = k8s.V1Secret;
export const SelfSubjectAccessReview = builtIn<k8s.V1SelfSubjectAccessReview>(
  "V1SelfSubjectAccessReview",
  authz,
  "v1",
  "SelfSubjectAccessReview",
  "selfsubjectaccessreviews",
  CLUSTER,
);
export type SelfSubjectAccessReview = k8s.V1SelfSubjectAccessReview;
export const SelfSubjectRulesReview = builtIn<k8s.V1SelfSubjectRulesReview>(
  "V1SelfSubjectRulesReview",
  authz,
  "v1",
  "SelfSubjectRulesReview",
  "selfsubjectrulesreviews",
  CLUSTER,
);
export type SelfSubjectRulesReview = k8s.V1SelfSubjectRulesReview;
export const Service = builtIn<k8s.V1Service>("V1Service", "", "v1", "Service", "services", NS);
export type Service = k8s.V1Service;
export const ServiceAccount = builtIn<k8s.V1ServiceAccount>(
  "V1ServiceAccount",
  "",
  "v1",
  "ServiceAccount",
  "serviceaccounts",
  NS,
);
export type ServiceAccount = k8s.V1ServiceAccount;
export const StatefulSet = builtIn<k8s.V1StatefulSet>("V1StatefulSet", "apps", "v1", "StatefulSet", "statefulsets", NS);
export type StatefulSet = k8s.V1StatefulSet;
export const StorageClass = builtIn<k8s.V1StorageClass>(
  "V1StorageClass",
  "storage.k8s.io",
  "v1",
  "StorageClass",
  "storageclasses",
  CLUSTER,
);
export type StorageClass = k8s.V1StorageClass;
export const SubjectAccessReview = builtIn<k8s.V1SubjectAccessReview>(
  "V1SubjectAccessReview",
  authz,
  "v1",
  "SubjectAccessReview",
  "subjectaccessreviews",
  CLUSTER,
);
export type SubjectAccessReview = k8s.V1SubjectAccessReview;
export const TokenReview = builtIn<k8s.V1TokenReview>(
  "V1TokenReview",
  "authentication.k8s.io",
  "v1",
  "TokenReview",
  "tokenreviews",
  CLUSTER,
);
export type TokenReview = k8s.V1TokenReview;
export const ValidatingWebhookConfiguration = builtIn<k8s.V1ValidatingWebhookConfiguration>(
  "V1ValidatingWebhookConfiguration",
  admission,
  "v1",
  "ValidatingWebhookConfiguration",
  "validatingwebhookconfigurations",
  CLUSTER,
);
export type ValidatingWebhookConfiguration = k8s.V1ValidatingWebhookConfiguration;
export const VolumeAttachment = builtIn<k8s.V1VolumeAttachment>(
  "V1VolumeAttachment",
  "storage.k8s.io",
  "v1",
  "VolumeAttachment",
  "volumeattachments",
  CLUSTER,
);
export type VolumeAttachment = k8s.V1VolumeAttachment;
