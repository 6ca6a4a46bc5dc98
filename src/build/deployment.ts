import type { ResourceNames } from "../contract/index.ts";
import {
  type DeployedRole,
  MODULE_CHUNKS_MOUNT,
  MODULE_WORK_MOUNT,
  ROLE_FLAG,
  RUNTIME_ENTRY,
  RUNTIME_NODE_FLAGS,
  RuntimeEnv,
  SERVE_PORT,
  servingScheme,
} from "../contract/index.ts";
import { flavorNames } from "../model/index.ts";
import { requiredAntiAffinity, runtimeProbe } from "./chart-defaults.ts";
import type { ValueReader } from "./chart-values.ts";
import type { KubeObject, ManifestInput } from "./manifest-input.ts";
import type { ModuleNeeds } from "./module-description.ts";

export interface DeploymentContext {
  readonly input: ManifestInput;
  readonly needs: ModuleNeeds;
  readonly names: ResourceNames;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly chunkSecrets: readonly string[];
  readonly values: ValueReader;
}

/** The one role that creates and rotates the webhook certificates: the controller when deployed ("true"/"false"). */
function managesCertificates(role: DeployedRole, { needs, values }: DeploymentContext): string {
  if (!needs.admission) return "false";
  if (!needs.controller) return String(role === "admission");
  // With the controller left out of a Helm install (`<controller>.enabled: false`), admission takes it on.
  return role === "controller" ? "true" : values.negated("controller.enabled");
}

function runtimeEnv(
  role: DeployedRole,
  context: DeploymentContext,
): { name: string; value?: string; valueFrom?: unknown }[] {
  const { input, needs, names } = context;
  const literal = (name: string, value: string) => ({ name, value });
  return [
    literal(RuntimeEnv.role, role),
    literal(RuntimeEnv.uuid, input.module.config.uuid),
    literal(RuntimeEnv.flavor, names.flavor),
    literal(RuntimeEnv.namespace, input.namespace),
    { name: RuntimeEnv.podName, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    literal(RuntimeEnv.moduleDir, MODULE_CHUNKS_MOUNT),
    literal(RuntimeEnv.moduleWorkDir, MODULE_WORK_MOUNT),
    { name: RuntimeEnv.moduleSha256, value: context.values.value("hash") as string },
    ...(input.map ? [literal(RuntimeEnv.moduleMapSha256, input.map.sha256)] : []),
    literal(RuntimeEnv.leaseName, names.lease),
    ...(needs.admission
      ? [
          literal(RuntimeEnv.apiPath, context.values.decoded("secrets.apiPath")),
          literal(RuntimeEnv.tlsSecret, names.tlsSecret),
          literal(RuntimeEnv.webhookService, names.service("admission")),
          literal(RuntimeEnv.mutatingWebhooks, needs.mutating ? names.webhookConfiguration : ""),
          literal(RuntimeEnv.validatingWebhooks, needs.validating ? names.webhookConfiguration : ""),
        ]
      : []),
    literal(RuntimeEnv.manageCertificates, managesCertificates(role, context)),
    { name: RuntimeEnv.logLevel, value: context.values.value("logLevel") as string },
    literal("PEPR_ADDITIONAL_IGNORED_NAMESPACES", context.values.joined("additionalIgnoredNamespaces", ",")),
  ];
}

/** A probe from the chart (Pepr mode: whole probe objects) or capstan's own. */
function probe(role: DeployedRole, kind: "startup" | "readiness" | "liveness", values: ValueReader) {
  const key = `${role}.${kind}Probe`;
  if (values.has(key)) return values.value(key);
  return runtimeProbe(role, kind, values.value(`${role}.startupFailureThreshold`));
}

/** The Deployment of one role; its command, env and mounts are the runtime contract. */
export function deploymentFor(role: DeployedRole, context: DeploymentContext): KubeObject {
  const { input, names, values } = context;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: names.deployment(role),
      namespace: input.namespace,
      labels: values.merged(`${role}.labels`, context.labels) as Record<string, string>,
      annotations: values.merged(`${role}.annotations`, {
        [flavorNames(names.flavor).descriptionAnnotation]: input.module.description,
      }) as Record<string, string>,
    },
    spec: {
      replicas: values.value(`${role}.replicas`),
      revisionHistoryLimit: 5,
      selector: { matchLabels: context.selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: values.merged(`${role}.podLabels`, context.labels),
          annotations: values.value(`${role}.podAnnotations`),
        },
        spec: {
          serviceAccountName: names.serviceAccount,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: values.value(`${role}.terminationGracePeriodSeconds`),
          securityContext: values.value(`${role}.securityContext`),
          imagePullSecrets: values.value("imagePullSecrets"),
          affinity:
            role === "admission"
              ? values.mergedWhen(
                  "admission.antiAffinity",
                  requiredAntiAffinity(context.selector),
                  "admission.affinity",
                )
              : values.value(`${role}.affinity`),
          nodeSelector: values.value(`${role}.nodeSelector`),
          tolerations: values.value(`${role}.tolerations`),
          containers: [
            {
              name: role,
              image: values.has(`${role}.image`)
                ? values.value(`${role}.image`)
                : `${values.inline("image.repository")}:${values.inline("image.tag")}`,
              imagePullPolicy: values.value("image.pullPolicy"),
              command: ["node", ...RUNTIME_NODE_FLAGS, RUNTIME_ENTRY, ROLE_FLAG, role],
              env: [...runtimeEnv(role, context), ...values.splice(`${role}.env`)],
              envFrom: values.value(`${role}.envFrom`),
              ports: [{ name: servingScheme[role].toLowerCase(), containerPort: SERVE_PORT, protocol: "TCP" }],
              startupProbe: probe(role, "startup", values),
              readinessProbe: probe(role, "readiness", values),
              livenessProbe: probe(role, "liveness", values),
              resources: values.value(`${role}.resources`),
              securityContext: values.value(`${role}.containerSecurityContext`),
              volumeMounts: [
                { name: "module-chunks", mountPath: MODULE_CHUNKS_MOUNT, readOnly: true },
                { name: "module-work", mountPath: MODULE_WORK_MOUNT },
                { name: "tmp", mountPath: "/tmp" },
                ...values.splice(`${role}.extraVolumeMounts`),
              ],
            },
          ],
          volumes: [
            {
              name: "module-chunks",
              projected: { sources: context.chunkSecrets.map((name) => ({ secret: { name } })) },
            },
            { name: "module-work", emptyDir: { sizeLimit: "256Mi" } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            ...values.splice(`${role}.extraVolumes`),
          ],
        },
      },
    },
  };
}
