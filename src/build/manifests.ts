import { reportCrds } from "../audit/index.ts";
import type { ChunkedPayload } from "../contract/index.ts";
import {
  type DeployedRole,
  Labels,
  MODULE_SHA_LABEL,
  PeprLabels,
  peprControllerOf,
  resourceNames,
  SERVE_PORT,
} from "../contract/index.ts";
import { auditSettings, flavorOf, namesOf } from "../model/index.ts";
import { storeCrd } from "../store/index.ts";
import { moduleCelPolicies } from "./cel-policies.ts";
import { declareValues, moduleLabels, rolesOf, webhookValues } from "./chart-defaults.ts";
import type { ValueCatalog, ValueReader } from "./chart-values.ts";
import { deploymentFor } from "./deployment.ts";
import type { KubeObject, ManifestInput } from "./manifest-input.ts";
import { moduleNeeds } from "./module-description.ts";
import { deriveRbac, rbacObjects } from "./rbac.ts";
import { moduleWebhooks } from "./webhooks.ts";

export interface ModuleManifests {
  readonly catalog: ValueCatalog;
  /** Objects in apply order, read through `reader` (defaults for the static YAML, markers for Helm). */
  objects(reader: ValueReader): KubeObject[];
}

function chunkSecrets(input: ManifestInput, payloads: readonly ChunkedPayload[]) {
  const names = resourceNames(input.module.config.uuid, flavorOf(input.module.config));
  return payloads
    .flatMap((payload) => payload.chunks)
    .map((chunk, index) => ({ name: names.moduleSecret(input.code.sha256, index), chunk }));
}

/** The module labels with the flavor's uuid label (`pepr.dev/uuid` in Pepr mode, as Pepr labels its objects). */
function flavorLabels(labels: Record<string, string>, config: ModuleManifestConfig): Record<string, string> {
  const { uuidLabel } = namesOf(config);
  if (uuidLabel === Labels.uuid) return labels;
  const { [Labels.uuid]: uuid, ...others } = labels;
  return { ...others, [uuidLabel]: uuid ?? config.uuid };
}

type ModuleManifestConfig = ManifestInput["module"]["config"];

/** The module's Kubernetes objects; each part exists only when a binding needs it. */
export function moduleManifests(input: ManifestInput): ModuleManifests {
  const { module, namespace } = input;
  const names = resourceNames(module.config.uuid, flavorOf(module.config));
  const pepr = names.flavor === "pepr";
  const needs = moduleNeeds(module);
  const labels = flavorLabels(moduleLabels(input, names.prefix), module.config);
  // Pepr mode keeps Pepr's selector, so a deploy over a Deployment Pepr made is an update, not a conflict.
  const selectorOf = (role: DeployedRole): Record<string, string> =>
    pepr
      ? { [PeprLabels.app]: names.app(role), [PeprLabels.controller]: peprControllerOf[role] }
      : { [Labels.instance]: names.prefix, [Labels.component]: role };
  const catalog = declareValues(input);
  const secrets = chunkSecrets(input, input.map ? [input.code, input.map] : [input.code]);
  const rbac = deriveRbac(module, needs, names, input.rbacMode);
  const meta = (name: string, namespaced = true) => ({ name, ...(namespaced ? { namespace } : {}), labels });
  const policies = moduleCelPolicies(module, namespace);

  const objects = (reader: ValueReader): KubeObject[] => {
    const result: KubeObject[] = [
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: namespace,
          labels: reader.value("namespace.labels"),
          annotations: reader.value("namespace.annotations"),
        },
      } as KubeObject,
    ];
    if (needs.store) result.push(structuredClone(storeCrd) as unknown as KubeObject);
    const audit = auditSettings(module.config);
    if (audit.enabled) result.push(...(reportCrds(audit.reportApi) as unknown as KubeObject[]));
    result.push(
      ...rbacObjects({
        names,
        namespace,
        labels,
        clusterRules: reader.value("rbac"),
        namespaceRules: rbac.namespaceRules,
      }),
    );
    for (const { name, chunk } of secrets) {
      result.push({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { ...meta(name), labels: { ...labels, [MODULE_SHA_LABEL]: input.code.sha256.slice(0, 63) } },
        type: "Opaque",
        immutable: true,
        data: { [chunk.key]: chunk.data.toString("base64") },
      });
    }
    const roles = rolesOf(needs);
    for (const role of roles) {
      const roleLabels = { ...labels, [Labels.component]: role, ...(pepr ? selectorOf(role) : {}) };
      const selector = selectorOf(role);
      result.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { ...meta(names.service(role)), labels: roleLabels },
        spec: {
          selector,
          ports:
            role === "admission"
              ? // Pepr's admission port has no name: renaming it would leave the endpoints unmatched for a moment.
                [{ ...(pepr ? {} : { name: "https" }), port: 443, targetPort: SERVE_PORT, protocol: "TCP" }]
              : [{ name: "http", port: SERVE_PORT, targetPort: SERVE_PORT, protocol: "TCP" }],
        },
      });
      const context = {
        input,
        needs,
        names,
        labels: roleLabels,
        selector,
        values: reader,
        chunkSecrets: secrets.map((secret) => secret.name),
      };
      result.push(deploymentFor(role, context));
      if (role === "admission") {
        result.push({
          apiVersion: "policy/v1",
          kind: "PodDisruptionBudget",
          metadata: { ...meta(`${names.deployment(role)}`), labels: roleLabels },
          spec: {
            minAvailable: reader.value("admission.podDisruptionBudget.minAvailable"),
            selector: { matchLabels: selector },
          },
        });
      }
    }
    const webhooks = moduleWebhooks(module, {
      namespace,
      name: names.webhookConfiguration,
      serviceName: names.service("admission"),
    });
    for (const config of [webhooks.mutating, webhooks.validating]) {
      if (!config) continue;
      const metadata = config.metadata as Record<string, unknown>;
      result.push(
        webhookValues(
          { ...config, metadata: { ...metadata, labels: { ...labels, ...(metadata.labels as object) } } },
          reader,
        ),
      );
    }
    // ValidateCEL bindings: the API server runs them itself, with or without the module's pods.
    for (const object of policies) {
      result.push({ ...object, metadata: { ...object.metadata, labels: { ...labels, ...object.metadata.labels } } });
    }
    return result;
  };
  return { catalog, objects };
}
