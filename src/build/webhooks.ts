import { createHash } from "node:crypto";
import { type WebhookConfigurations, webhookConfigurations } from "../admission/index.ts";
import type { KindClass } from "../k8s/index.ts";
import type { Binding } from "../model/index.ts";
import { Capability } from "../model/index.ts";
import type { BindingDescription, ModuleDescription } from "./module-description.ts";

// The webhook configurations come from the admission engine's generator (one source of truth for
// rules, selectors and CEL match conditions); the build only turns its plain description back into
// the model objects that generator reads.

class DescribedKind {}

function toBinding(description: BindingDescription, capability: string): Binding {
  const { filters } = description;
  return {
    ...description,
    model: DescribedKind as unknown as KindClass,
    kind: {
      ...description.kind,
      apiVersion: [description.kind.group, description.kind.version].filter(Boolean).join("/"),
    },
    capability,
    filters: {
      name: filters.name,
      namespaces: [...filters.namespaces],
      namespaceRegExps: filters.namespaceRegExps.map(({ source, flags }) => new RegExp(source, flags)),
      regexNamespaces: filters.namespaceRegExps.map(({ source }) => source),
      ...(filters.nameRegExp ? { nameRegExp: new RegExp(filters.nameRegExp.source, filters.nameRegExp.flags) } : {}),
      regexName: filters.nameRegExp?.source ?? "",
      labels: { ...filters.labels },
      annotations: { ...filters.annotations },
      deletionTimestamp: filters.deletionTimestamp,
    },
  };
}

function describedHook(): void {}

/** The model's capabilities rebuilt from a description (bindings without callbacks). */
export function capabilitiesOf(module: ModuleDescription): Capability[] {
  return module.capabilities.map((described) => {
    const capability = new Capability({
      name: described.name,
      description: described.description,
      namespaces: [...described.namespaces],
    });
    for (const binding of described.bindings) capability.addBinding(toBinding(binding, described.name));
    return capability;
  });
}

/**
 * The URL path segment the webhooks call (`/mutate/<apiPath>`). Derived from the uuid so that every
 * build of a module, and every replica during a rollout, agrees on it.
 */
export function apiPathFor(uuid: string): string {
  return createHash("sha256").update(`capstan-api-path:${uuid}`).digest("hex");
}

export interface ModuleWebhookOptions {
  readonly namespace: string;
  readonly name: string;
  readonly serviceName: string;
}

/**
 * The module's webhook configurations, pointing at the admission Service. `caBundle` is left out on
 * purpose: the runtime makes the CA and fills it, and `capstan deploy` (server-side apply) then never
 * owns or resets that field.
 */
export function moduleWebhooks(module: ModuleDescription, options: ModuleWebhookOptions): WebhookConfigurations {
  const configs = webhookConfigurations(
    {
      config: { ...module.config, namespace: options.namespace },
      capabilities: capabilitiesOf(module),
      // The generator only asks whether hooks exist; discovery never keeps the functions.
      ...(module.hooks ? { options: { beforeHook: describedHook } } : {}),
    },
    {
      name: options.name,
      endpoint: { service: { name: options.serviceName, namespace: options.namespace, port: 443 } },
      apiPath: apiPathFor(module.config.uuid),
      caBundle: "",
    },
  );
  return {
    ...(configs.mutating && { mutating: withoutCaBundle(configs.mutating) }),
    ...(configs.validating && { validating: withoutCaBundle(configs.validating) }),
  };
}

function withoutCaBundle(config: Record<string, unknown>): Record<string, unknown> {
  const webhooks = (config.webhooks as Record<string, unknown>[]).map((webhook) => {
    const { caBundle: _omitted, ...clientConfig } = webhook.clientConfig as Record<string, unknown>;
    return { ...webhook, clientConfig };
  });
  return { ...config, webhooks };
}
