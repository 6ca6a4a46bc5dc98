import {
  type DeployedRole,
  deployedRoles,
  HEALTH_PATH,
  Labels,
  peprControllerOf,
  READY_PATH,
  resourceNames,
  SERVE_PORT,
  servingScheme,
} from "../contract/index.ts";
import { type Flavor, flavorOf } from "../model/index.ts";
import { type ChartHelper, type ChartValue, ValueCatalog, type ValueReader } from "./chart-values.ts";
import type { KubeObject, ManifestInput } from "./manifest-input.ts";
import { type ModuleNeeds, moduleNeeds } from "./module-description.ts";
import { deriveRbac } from "./rbac.ts";
import { apiPathFor } from "./webhooks.ts";

export const podSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  fsGroup: 65532,
  seccompProfile: { type: "RuntimeDefault" },
};

export const containerSecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

const defaultResources = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "500m", memory: "512Mi" },
};

/** The roles a module deploys. */
export function rolesOf(needs: ModuleNeeds): DeployedRole[] {
  return deployedRoles.filter((role) => needs[role]);
}

/** A required podAntiAffinity keeping a role's replicas on different nodes. */
export function requiredAntiAffinity(selector: Record<string, string>) {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" },
      ],
    },
  };
}

/**
 * The values.yaml key of a role. Pepr mode uses Pepr's (`admission`, `watcher`) so a team's Pepr
 * overrides apply unchanged; capstan's are the role names (`admission`, `controller`).
 */
export function roleValueKey(flavor: Flavor, role: DeployedRole): string {
  return flavor === "pepr" ? peprControllerOf[role] : role;
}

/** The probes of a role's container; `startupFailureThreshold` may be a chart marker. */
export function runtimeProbe(role: DeployedRole, kind: "startup" | "readiness" | "liveness", startupFailures: unknown) {
  const [path, periodSeconds, failureThreshold] =
    kind === "startup"
      ? [HEALTH_PATH, 2, startupFailures]
      : kind === "readiness"
        ? [READY_PATH, 5, 3]
        : [HEALTH_PATH, 10, 3];
  return {
    httpGet: { path, port: SERVE_PORT, scheme: servingScheme[role] },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  };
}

/** Pepr's `imagePullSecrets` are names; capstan's were `{name}` objects. The chart accepts both. */
const pullSecretsHelper: ChartHelper = {
  name: "capstan.imagePullSecrets",
  apply: (value) =>
    (value as (string | { name: string })[]).map((entry) => (typeof entry === "string" ? { name: entry } : entry)),
};

/** The named templates of the chart's `_helpers.tpl`. */
export const chartHelpers = `{{- define "${pullSecretsHelper.name}" -}}
{{- range . }}
- name: {{ if kindIs "string" . }}{{ . | quote }}{{ else }}{{ .name | quote }}{{ end }}
{{- else }}
[]
{{- end }}
{{- end -}}
`;

/** Declares every chart value the manifests of this module read. */
export function declareValues(input: ManifestInput): ValueCatalog {
  const catalog = new ValueCatalog();
  const { config } = input.module;
  const flavor = flavorOf(config);
  const pepr = flavor === "pepr";
  const needs = moduleNeeds(input.module);
  const roles = rolesOf(needs);
  const perRole = (name: string) => roles.map((role) => `${role}.${name}`);
  const env = Object.entries(config.env ?? {}).map(([name, value]) => ({ name, value }));
  const image = `${input.image.repository}:${input.image.tag}`;

  catalog.declare({
    path: "uuid",
    type: "string",
    default: config.uuid,
    description: "The module's uuid (fixed at build: object names derive from it)",
  });
  catalog.declare({
    path: "hash",
    type: "string",
    default: input.code.sha256,
    description: "sha256 of the module code; the runtime refuses code that does not match it",
  });
  catalog.declare({
    path: "secrets.apiPath",
    type: "string",
    default: Buffer.from(apiPathFor(config.uuid)).toString("base64"),
    description:
      "The webhook URL path secret (base64): the webhooks call /mutate|validate/<path>, the server accepts only it",
  });
  catalog.declare({
    path: "imagePullSecrets",
    type: "array",
    default: [],
    helper: pullSecretsHelper,
    description: "Pod imagePullSecrets: names, or {name} objects",
  });
  catalog.declare({
    path: "logLevel",
    type: "string",
    default: config.logLevel ?? "info",
    description: "LOG_LEVEL of both roles",
  });
  catalog.declare({
    path: "additionalIgnoredNamespaces",
    type: "array",
    default: [],
    description:
      "Namespaces the webhooks skip and the watches ignore, besides the module's own (PEPR_ADDITIONAL_IGNORED_NAMESPACES)",
  });
  catalog.declare({
    path: "rbac",
    type: "array",
    default: deriveRbac(input.module, needs, resourceNames(config.uuid, flavor), input.rbacMode).clusterRules,
    description: "The ClusterRole's rules (replaces the derived ones)",
  });
  catalog.declare({
    path: "namespace.labels",
    type: "object",
    default: { ...(config.customLabels?.namespace ?? {}) },
    description: "Labels on the module's Namespace",
  });
  catalog.declare({
    path: "namespace.annotations",
    type: "object",
    default: {},
    description: "Annotations on the module's Namespace",
  });
  catalog.declare({
    path: "dashboard.enabled",
    type: "boolean",
    default: false,
    description: "A ConfigMap holding the module's Grafana dashboard (docs/observability.md)",
  });
  catalog.declare({
    path: "dashboard.labels",
    type: "object",
    default: { grafana_dashboard: "1" },
    description: "The dashboard ConfigMap's labels (the Grafana sidecar's default label selects it)",
  });
  catalog.declare({
    path: "dashboard.annotations",
    type: "object",
    default: {},
    description: "The dashboard ConfigMap's annotations (e.g. the sidecar's target folder)",
  });
  if (pepr) {
    catalog.declare({
      path: "image.pullPolicy",
      type: "string",
      default: "IfNotPresent",
      constant: true,
      description: "Image pull policy",
    });
  } else {
    catalog.declare({
      path: "image.repository",
      type: "string",
      default: input.image.repository,
      description: "Runtime image repository",
    });
    catalog.declare({ path: "image.tag", type: "string", default: input.image.tag, description: "Runtime image tag" });
    catalog.declare({
      path: "image.pullPolicy",
      type: "string",
      default: "IfNotPresent",
      enum: ["Always", "IfNotPresent", "Never"],
      description: "Image pull policy",
    });
    catalog.declare({
      path: "env",
      type: "array",
      reads: perRole("env"),
      default: env,
      description: "Extra environment variables ([{name, value}]) for both roles",
    });
    catalog.declare({
      path: "podSecurityContext",
      type: "object",
      reads: perRole("securityContext"),
      default: podSecurityContext,
      description: "Pod securityContext",
    });
    catalog.declare({
      path: "containerSecurityContext",
      type: "object",
      reads: perRole("containerSecurityContext"),
      default: containerSecurityContext,
      description: "Container securityContext",
    });
  }
  for (const role of roles) {
    const key = roleValueKey(flavor, role);
    const declare = (
      name: string,
      value: Omit<ChartValue, "path" | "reads" | "description"> & { description: string },
    ) =>
      catalog.declare({
        ...value,
        path: `${key}.${name}`,
        reads: [`${role}.${name}`],
        description: `${key}: ${value.description}`,
      });
    declare("enabled", {
      type: "boolean",
      default: true,
      description: "deploy this role (Deployment, Service, ServiceMonitor)",
    });
    // With controller.shards = N the controller runs N replicas, one shard each ("auto": the default 2).
    const shards = role === "controller" ? config.controller?.shards : undefined;
    declare("replicas", {
      type: "integer",
      default: typeof shards === "number" ? shards : 2,
      minimum: 1,
      description: shards === undefined ? "replicas" : "replicas (each controller replica is one shard)",
    });
    declare("resources", { type: "object", default: defaultResources, description: "container resources" });
    if (role === "admission") {
      declare("antiAffinity", {
        type: "boolean",
        default: input.antiAffinity,
        description: "require admission replicas on different nodes (adds a podAntiAffinity to affinity)",
      });
    }
    declare("affinity", { type: "object", default: {}, description: "pod affinity" });
    declare("nodeSelector", { type: "object", default: {}, description: "pod nodeSelector" });
    declare("tolerations", { type: "array", default: [], description: "pod tolerations" });
    declare("labels", { type: "object", default: {}, description: "Deployment labels, laid over capstan's" });
    declare("annotations", { type: "object", default: {}, description: "Deployment annotations, laid over capstan's" });
    declare("podLabels", {
      type: "object",
      default: {},
      description: "pod labels, laid over capstan's (not the selector's)",
    });
    declare("podAnnotations", { type: "object", default: {}, description: "pod annotations" });
    declare("envFrom", { type: "array", default: [], description: "container envFrom (ConfigMaps, Secrets)" });
    declare("extraVolumes", { type: "array", default: [], description: "pod volumes added to capstan's" });
    declare("extraVolumeMounts", {
      type: "array",
      default: [],
      description: "container volumeMounts added to capstan's",
    });
    declare("terminationGracePeriodSeconds", {
      type: "integer",
      default: 30,
      minimum: 0,
      description: "grace period: in-flight requests and reconciles finish within it",
    });
    declare("serviceMonitor.enabled", {
      type: "boolean",
      default: false,
      description: "a ServiceMonitor for /metrics",
    });
    declare("serviceMonitor.labels", { type: "object", default: {}, description: "ServiceMonitor labels" });
    declare("serviceMonitor.annotations", { type: "object", default: {}, description: "ServiceMonitor annotations" });
    if (pepr) {
      declare("image", { type: "string", default: image, description: "runtime image (<repository>:<tag>)" });
      declare("env", {
        type: "array",
        default: env,
        description: "environment variables ([{name, value}]) added to capstan's",
      });
      declare("securityContext", { type: "object", default: podSecurityContext, description: "pod securityContext" });
      declare("containerSecurityContext", {
        type: "object",
        default: containerSecurityContext,
        description: "container securityContext",
      });
      declare("startupProbe", {
        type: "object",
        default: runtimeProbe(role, "startup", 60),
        description: "startup probe",
      });
      declare("readinessProbe", {
        type: "object",
        default: runtimeProbe(role, "readiness", 60),
        description: "readiness probe (capstan's /readyz: caches synced, watches fresh)",
      });
      declare("livenessProbe", {
        type: "object",
        default: runtimeProbe(role, "liveness", 60),
        description: "liveness probe",
      });
    } else {
      declare("startupFailureThreshold", {
        type: "integer",
        default: 60,
        minimum: 1,
        description: "startup probe failures allowed (2 s apart) before the container is restarted",
      });
    }
  }
  if (needs.admission) {
    const admission = roleValueKey(flavor, "admission");
    catalog.declare({
      path: `${admission}.podDisruptionBudget.minAvailable`,
      reads: ["admission.podDisruptionBudget.minAvailable"],
      type: "integer",
      default: 1,
      minimum: 0,
      description: "PodDisruptionBudget minAvailable for the admission replicas",
    });
    catalog.declare({
      path: `${admission}.failurePolicy`,
      reads: ["admission.failurePolicy"],
      type: "string",
      default: config.onError === "reject" ? "Fail" : "Ignore",
      enum: ["Fail", "Ignore"],
      description: "the webhooks' failurePolicy (from onError)",
    });
    catalog.declare({
      path: `${admission}.webhookTimeout`,
      reads: ["admission.webhookTimeout"],
      type: "integer",
      default: config.webhookTimeout ?? 10,
      minimum: 1,
      maximum: 30,
      description: "the webhooks' timeoutSeconds (1-30)",
    });
    catalog.declare({
      path: `${admission}.webhookLabels`,
      reads: ["admission.webhookLabels"],
      type: "object",
      default: {},
      description: "labels on the webhook configurations, laid over capstan's",
    });
    catalog.declare({
      path: `${admission}.webhookAnnotations`,
      reads: ["admission.webhookAnnotations"],
      type: "object",
      default: {},
      description: "annotations on the webhook configurations",
    });
  }
  return catalog;
}

/** The label every namespace carries with its own name (the webhooks' ignored-namespaces term). */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

interface WebhookShape {
  clientConfig: { service?: { path?: string } };
  namespaceSelector?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] };
}

/**
 * A generated webhook configuration with the chart's admission values laid over it: failurePolicy and
 * timeout, the additional ignored namespaces, labels and annotations, and the URL path secret.
 * Entries of Pepr's `additionalWebhooks` keep their own failurePolicy and select their namespace only.
 */
export function webhookValues(config: Record<string, unknown>, values: ValueReader): KubeObject {
  const metadata = config.metadata as KubeObject["metadata"];
  const webhooks = (config.webhooks as WebhookShape[]).map((webhook) => {
    const expressions = webhook.namespaceSelector?.matchExpressions ?? [];
    const ignored = expressions.find((term) => term.key === NAMESPACE_NAME_LABEL && term.operator === "NotIn");
    const service = webhook.clientConfig.service;
    const route = /^\/(mutate|validate)\//.exec(service?.path ?? "");
    return {
      ...webhook,
      timeoutSeconds: values.value("admission.webhookTimeout"),
      ...(ignored
        ? {
            failurePolicy: values.value("admission.failurePolicy"),
            namespaceSelector: {
              ...webhook.namespaceSelector,
              matchExpressions: expressions.map((term) =>
                term === ignored
                  ? { ...term, values: [...(term.values ?? []), ...values.splice("additionalIgnoredNamespaces")] }
                  : term,
              ),
            },
          }
        : {}),
      ...(service && route
        ? {
            clientConfig: {
              ...webhook.clientConfig,
              service: { ...service, path: `/${route[1]}/${values.decoded("secrets.apiPath")}` },
            },
          }
        : {}),
    };
  });
  return {
    ...config,
    metadata: {
      ...metadata,
      labels: values.merged("admission.webhookLabels", metadata.labels ?? {}) as Record<string, string>,
      annotations: values.merged(
        "admission.webhookAnnotations",
        (metadata.annotations ?? {}) as Record<string, string>,
      ) as Record<string, string>,
    },
    webhooks,
  } as unknown as KubeObject;
}

export function moduleLabels(input: ManifestInput, prefix: string): Record<string, string> {
  return {
    [Labels.name]: "capstan",
    [Labels.instance]: prefix,
    [Labels.managedBy]: "capstan",
    [Labels.uuid]: input.module.config.uuid,
  };
}
