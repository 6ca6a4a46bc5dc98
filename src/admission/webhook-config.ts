import { SHARD_LABEL } from "../contract/index.ts";
import type { Binding } from "../model/index.ts";
import { admissionIgnoredNamespaces, flavorNames, flavorOf, moduleNamespace, operationsOf } from "../model/index.ts";
import { anyBindingCondition, conditionFiltersMore, namespaceLimit } from "./cel.ts";
import type { BoundAction } from "./context.ts";
import type { AdmissionModule } from "./engine.ts";
import type { WebhookKind } from "./metrics.ts";

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Where the API server sends requests: a URL (dev mode) or an in-cluster Service. */
export type WebhookEndpoint =
  | { readonly url: string }
  | { readonly service: { readonly name: string; readonly namespace: string; readonly port?: number } };

export interface WebhookConfigOptions {
  /** Configuration name. Default `pepr-<uuid>` (Pepr mode) or `capstan-<uuid>`. */
  readonly name?: string;
  readonly endpoint: WebhookEndpoint;
  /** The secret path segment (`/mutate/<apiPath>`). */
  readonly apiPath: string;
  /** PEM CA that signed the serving certificate. */
  readonly caBundle: string;
  /** Extra namespaceSelector terms, ANDed (tests use this to confine a module to their namespaces). */
  readonly namespaceSelector?: LabelSelector;
  /** Extra namespaces never sent to the webhook. */
  readonly ignoredNamespaces?: readonly string[];
  /** Declare `NoneOnDryRun` instead of `None` when the module honours `IsDryRun` for its side effects. */
  readonly sideEffects?: "None" | "NoneOnDryRun";
}

export interface WebhookConfigurations {
  readonly mutating?: Record<string, unknown>;
  readonly validating?: Record<string, unknown>;
}

function actionsOf(module: AdmissionModule, webhook: WebhookKind): BoundAction[] {
  return module.capabilities.flatMap((capability) =>
    capability.bindings
      .filter((binding) => (webhook === "mutate" ? binding.isMutate : binding.isValidate))
      .map((binding) => ({ binding, capabilityNamespaces: capability.namespaces })),
  );
}

function rulesFor(actions: readonly BoundAction[]) {
  const rules = new Map<
    string,
    { apiGroups: string[]; apiVersions: string[]; resources: string[]; scope: string; operations: Set<string> }
  >();
  for (const { binding } of actions) {
    const { kind } = binding;
    const key = `${kind.group}/${kind.version}/${kind.plural}`;
    const rule = rules.get(key) ?? {
      apiGroups: [kind.group],
      apiVersions: [kind.version || "*"],
      resources: kind.plural === "pods" && kind.group === "" ? ["pods", "pods/ephemeralcontainers"] : [kind.plural],
      scope: kind.namespaced ? "Namespaced" : "Cluster",
      operations: new Set<string>(),
    };
    for (const operation of operationsOf(binding.event)) rule.operations.add(operation);
    rules.set(key, rule);
  }
  return [...rules.values()].map(({ operations, ...rule }) => ({ ...rule, operations: [...operations].sort() }));
}

/** Label requirements every binding shares, as an objectSelector (the API server then skips other objects). */
export function sharedObjectSelector(bindings: readonly Binding[]): LabelSelector | undefined {
  const [first, ...others] = bindings;
  if (!first) return undefined;
  const requirements: LabelSelectorRequirement[] = [];
  for (const key of Object.keys(first.filters.labels)) {
    if (!others.every((binding) => key in binding.filters.labels)) continue;
    const values = new Set(bindings.map((binding) => binding.filters.labels[key] as string));
    requirements.push(
      values.has("") ? { key, operator: "Exists" } : { key, operator: "In", values: [...values].sort() },
    );
  }
  return requirements.length > 0 ? { matchExpressions: requirements } : undefined;
}

/**
 * Whether the bindings' filters are pushed into the webhooks (capstan's way: the API server skips
 * requests no binding wants). Not for a Pepr module with a `beforeHook` or `afterHook`: Pepr's
 * webhooks select by kind and operation only (and the ignored namespaces), and its hooks run for
 * every such request, including those no binding of that webhook matches.
 */
export function pushesFiltersDown(module: AdmissionModule): boolean {
  const hooks = module.options?.beforeHook !== undefined || module.options?.afterHook !== undefined;
  return !(hooks && flavorOf(module.config) === "pepr");
}

/** The namespace label every module-generated selector matches on. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Namespaces no admission path of the module sees: kube-system, the module's own, and the ignored ones. */
export function notIgnoredNamespaces(
  module: AdmissionModule,
  extraIgnored: readonly string[] = [],
): LabelSelectorRequirement {
  const ignored = new Set([
    "kube-system",
    moduleNamespace(module.config),
    ...admissionIgnoredNamespaces(module.config),
    ...extraIgnored,
  ]);
  return { key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: [...ignored].sort() };
}

function namespaceSelectorFor(
  module: AdmissionModule,
  actions: readonly BoundAction[],
  options: WebhookConfigOptions,
): LabelSelector {
  const expressions: LabelSelectorRequirement[] = [notIgnoredNamespaces(module, options.ignoredNamespaces)];
  const limit = namespaceLimit(actions);
  if (pushesFiltersDown(module) && limit)
    expressions.push({ key: NAMESPACE_NAME_LABEL, operator: "In", values: limit });
  expressions.push(...(options.namespaceSelector?.matchExpressions ?? []));
  return {
    ...(options.namespaceSelector?.matchLabels ? { matchLabels: options.namespaceSelector.matchLabels } : {}),
    matchExpressions: expressions,
  };
}

/** The API server refuses CEL expressions over 100,000 code points; past this, filtering stays in process. */
export const MAX_MATCH_CONDITION_LENGTH = 90_000;

function matchConditionsFor(actions: readonly BoundAction[], extraWebhooks: number) {
  // Left out when the rules and namespaceSelector say it all (extra webhooks select other namespaces).
  if (extraWebhooks === 0 && !conditionFiltersMore(actions, namespaceLimit(actions))) return {};
  const expression = anyBindingCondition(actions);
  return expression.length > MAX_MATCH_CONDITION_LENGTH
    ? {}
    : { matchConditions: [{ name: "capstan-bindings", expression }] };
}

function clientConfig(route: WebhookKind | typeof LABEL_ROUTE, options: WebhookConfigOptions) {
  const path = `/${route}/${options.apiPath}`;
  const caBundle = Buffer.from(options.caBundle).toString("base64");
  if ("url" in options.endpoint) return { url: `${options.endpoint.url.replace(/\/+$/, "")}${path}`, caBundle };
  const { service } = options.endpoint;
  return { service: { name: service.name, namespace: service.namespace, port: service.port ?? 443, path }, caBundle };
}

/**
 * Webhook entry names. Pepr mode: Pepr's `pepr-<uuid>.pepr.dev` and `pepr-<uuid>-<ns>.pepr.dev` (the same
 * in both configurations); capstan: `<mutate|validate>.<name>.capstan.dev`.
 */
function webhookName(module: AdmissionModule, webhook: WebhookKind, name: string, extraNamespace?: string): string {
  const flavor = flavorOf(module.config);
  const base = extraNamespace === undefined ? name : `${name}-${extraNamespace}`;
  const domain = flavorNames(flavor).domain;
  return flavor === "pepr" ? `${base}.${domain}` : `${webhook}.${base}.${domain}`;
}

function webhooksFor(module: AdmissionModule, webhook: WebhookKind, options: WebhookConfigOptions, name: string) {
  const actions = actionsOf(module, webhook);
  if (actions.length === 0) return [];
  const pushDown = pushesFiltersDown(module);
  const objectSelector = pushDown ? sharedObjectSelector(actions.map((action) => action.binding)) : undefined;
  const additional = module.config.additionalWebhooks ?? [];
  const common: Record<string, unknown> = {
    admissionReviewVersions: ["v1"],
    clientConfig: clientConfig(webhook, options),
    matchPolicy: "Equivalent",
    timeoutSeconds: module.config.webhookTimeout ?? 10,
    sideEffects: options.sideEffects ?? "None",
    rules: rulesFor(actions),
    ...(objectSelector ? { objectSelector } : {}),
    ...(pushDown ? matchConditionsFor(actions, additional.length) : {}),
    ...(webhook === "mutate" ? { reinvocationPolicy: "Never" } : {}),
  };
  const main = {
    name: webhookName(module, webhook, name),
    ...common,
    failurePolicy: module.config.onError === "reject" ? "Fail" : "Ignore",
    namespaceSelector: namespaceSelectorFor(module, actions, {
      ...options,
      ignoredNamespaces: [...(options.ignoredNamespaces ?? []), ...additional.map((extra) => extra.namespace)],
    }),
  };
  // Pepr's additionalWebhooks: one more entry per namespace, with its own failurePolicy.
  const extras = additional.map((extra) => ({
    name: webhookName(module, webhook, name, extra.namespace),
    ...common,
    failurePolicy: extra.failurePolicy,
    namespaceSelector: {
      ...(options.namespaceSelector?.matchLabels ? { matchLabels: options.namespaceSelector.matchLabels } : {}),
      matchExpressions: [
        { key: NAMESPACE_NAME_LABEL, operator: "In", values: [extra.namespace] },
        ...(options.namespaceSelector?.matchExpressions ?? []),
      ],
    },
  }));
  return [main, ...extras];
}

/** The route of the shard label webhook: `/label/<apiPath>`. */
export const LABEL_ROUTE = "label";
/** The label webhook's timeout: it answers from memory, and the assigner labels whatever it misses. */
const LABEL_TIMEOUT_SECONDS = 2;

/**
 * Whether the module's mutating configuration carries the shard label webhook: its controller is
 * sharded and it serves admission anyway (a module without Mutate or Validate bindings gets no
 * webhook server for it; the assigner labels its objects).
 */
export function labelsShards(module: {
  readonly config: Pick<AdmissionModule["config"], "controller">;
  readonly capabilities: readonly {
    readonly bindings: readonly Pick<Binding, "isMutate" | "isValidate" | "isWatch">[];
  }[];
}): boolean {
  if (module.config.controller?.shards === undefined) return false;
  const bindings = module.capabilities.flatMap((capability) => capability.bindings);
  return bindings.some((b) => b.isWatch) && bindings.some((b) => b.isMutate || b.isValidate);
}

/**
 * `controller.shards`: the webhook that puts `capstan.dev/shard` on unlabelled objects of the watched
 * kinds as they are created or updated, so a new object reaches its replica without waiting for the
 * assigner. Best effort by design: failurePolicy Ignore, a short timeout, and the assigner labels
 * whatever it misses (and moves whatever it labelled against a stale view of the shards).
 */
function labelWebhooks(module: AdmissionModule, options: WebhookConfigOptions, name: string) {
  if (!labelsShards(module)) return [];
  const rules = new Map<string, { apiGroups: string[]; apiVersions: string[]; resources: string[]; scope: string }>();
  const namespaces = new Set<string>();
  let everyNamespace = false;
  for (const capability of module.capabilities) {
    for (const binding of capability.bindings) {
      if (binding.action !== "watch" && binding.action !== "reconcile" && binding.action !== "finalize") continue;
      const { kind } = binding;
      rules.set(`${kind.group}/${kind.version}/${kind.plural}`, {
        apiGroups: [kind.group],
        apiVersions: [kind.version || "*"],
        resources: [kind.plural],
        scope: kind.namespaced ? "Namespaced" : "Cluster",
      });
      const bound = binding.filters.namespaces.length > 0 ? binding.filters.namespaces : capability.namespaces;
      if (!kind.namespaced || bound.length === 0) everyNamespace = true;
      for (const namespace of bound) namespaces.add(namespace);
    }
  }
  if (rules.size === 0) return [];
  const expressions: LabelSelectorRequirement[] = [notIgnoredNamespaces(module, options.ignoredNamespaces)];
  if (!everyNamespace) expressions.push({ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...namespaces].sort() });
  expressions.push(...(options.namespaceSelector?.matchExpressions ?? []));
  return [
    {
      name: `${LABEL_ROUTE}.${name}.${flavorNames(flavorOf(module.config)).domain}`,
      admissionReviewVersions: ["v1"],
      clientConfig: clientConfig(LABEL_ROUTE, options),
      matchPolicy: "Equivalent",
      timeoutSeconds: LABEL_TIMEOUT_SECONDS,
      sideEffects: "None",
      failurePolicy: "Ignore",
      reinvocationPolicy: "Never",
      rules: [...rules.values()].map((rule) => ({ ...rule, operations: ["CREATE", "UPDATE"] })),
      objectSelector: { matchExpressions: [{ key: SHARD_LABEL, operator: "DoesNotExist" }] },
      namespaceSelector: {
        ...(options.namespaceSelector?.matchLabels ? { matchLabels: options.namespaceSelector.matchLabels } : {}),
        matchExpressions: expressions,
      },
    },
  ];
}

/** The Mutating/ValidatingWebhookConfiguration objects for a module (either is absent when no binding needs it). */
export function webhookConfigurations(module: AdmissionModule, options: WebhookConfigOptions): WebhookConfigurations {
  const names = flavorNames(flavorOf(module.config));
  const name = options.name ?? names.objectPrefix(module.config.uuid);
  const mutate = [...webhooksFor(module, "mutate", options, name), ...labelWebhooks(module, options, name)];
  const validate = webhooksFor(module, "validate", options, name);
  const moduleLabel = names.flavor === "pepr" ? names.uuidLabel : "capstan.dev/module";
  const meta = { name, labels: { [moduleLabel]: module.config.uuid } };
  return {
    ...(mutate.length > 0 && {
      mutating: {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingWebhookConfiguration",
        metadata: meta,
        webhooks: mutate,
      },
    }),
    ...(validate.length > 0 && {
      validating: {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: meta,
        webhooks: validate,
      },
    }),
  };
}
