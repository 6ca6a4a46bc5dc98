import { ValueCatalog } from "./chart-values.ts";
import type { ManifestInput } from "./manifest-input.ts";
import { type ModuleNeeds, moduleNeeds } from "./module-description.ts";
import { type DeployedRole, deployedRoles, Labels } from "./runtime-contract.ts";

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

function requiredAntiAffinity(selector: Record<string, string>) {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" },
      ],
    },
  };
}

/** Declares every chart value the manifests of this module read. */
export function declareValues(
  input: ManifestInput,
  selectorOf: (role: DeployedRole) => Record<string, string>,
): ValueCatalog {
  const catalog = new ValueCatalog();
  const { config } = input.module;
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
    path: "imagePullSecrets",
    type: "array",
    default: [],
    description: "Pod imagePullSecrets ([{name}])",
  });
  catalog.declare({
    path: "logLevel",
    type: "string",
    default: config.logLevel ?? "info",
    description: "LOG_LEVEL of both roles",
  });
  catalog.declare({
    path: "env",
    type: "array",
    default: Object.entries(config.env ?? {}).map(([name, value]) => ({ name, value })),
    description: "Extra environment variables ([{name, value}]) for both roles",
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
    path: "podSecurityContext",
    type: "object",
    default: podSecurityContext,
    description: "Pod securityContext",
  });
  catalog.declare({
    path: "containerSecurityContext",
    type: "object",
    default: containerSecurityContext,
    description: "Container securityContext",
  });
  for (const role of rolesOf(moduleNeeds(input.module))) {
    catalog.declare({
      path: `${role}.replicas`,
      type: "integer",
      default: 2,
      minimum: 1,
      description: `${role} replicas`,
    });
    catalog.declare({
      path: `${role}.resources`,
      type: "object",
      default: defaultResources,
      description: `${role} container resources`,
    });
    catalog.declare({
      path: `${role}.affinity`,
      type: "object",
      default: role === "admission" && input.antiAffinity ? requiredAntiAffinity(selectorOf(role)) : {},
      description: `${role} pod affinity`,
    });
    catalog.declare({
      path: `${role}.nodeSelector`,
      type: "object",
      default: {},
      description: `${role} pod nodeSelector`,
    });
    catalog.declare({
      path: `${role}.tolerations`,
      type: "array",
      default: [],
      description: `${role} pod tolerations`,
    });
    catalog.declare({
      path: `${role}.podAnnotations`,
      type: "object",
      default: {},
      description: `${role} pod annotations`,
    });
    catalog.declare({
      path: `${role}.terminationGracePeriodSeconds`,
      type: "integer",
      default: 30,
      minimum: 0,
      description: `${role} grace period: in-flight requests and reconciles finish within it`,
    });
    catalog.declare({
      path: `${role}.startupFailureThreshold`,
      type: "integer",
      default: 60,
      minimum: 1,
      description: `${role} startup probe failures allowed (2 s apart) before the container is restarted`,
    });
  }
  if (moduleNeeds(input.module).admission) {
    catalog.declare({
      path: "admission.podDisruptionBudget.minAvailable",
      type: "integer",
      default: 1,
      minimum: 0,
      description: "PodDisruptionBudget minAvailable for the admission replicas",
    });
  }
  return catalog;
}

export function moduleLabels(input: ManifestInput, prefix: string): Record<string, string> {
  return {
    [Labels.name]: "capstan",
    [Labels.instance]: prefix,
    [Labels.managedBy]: "capstan",
    [Labels.uuid]: input.module.config.uuid,
  };
}
