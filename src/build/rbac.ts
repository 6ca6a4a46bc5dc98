import { REPORT_KINDS } from "../audit/index.ts";
import type { ResourceNames } from "../contract/index.ts";
import { auditSettings, type Flavor, ruleOf } from "../model/index.ts";
import { STORE_GROUP, STORE_PLURAL } from "../store/index.ts";
import type { ModuleDescription, ModuleNeeds } from "./module-description.ts";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export type RbacMode = "scoped" | "admin";

export interface ModuleRbac {
  /** Cluster-wide: watched kinds, finalizer patches, Events, the module's own webhook configurations, declared rules. */
  readonly clusterRules: PolicyRule[];
  /** In the module's namespace only: Leases, the Store, the TLS Secret. */
  readonly namespaceRules: PolicyRule[];
}

const READ = ["get", "list", "watch"];

/** Checks the module's declared `rbac` rules and returns them as policy rules. */
export function declaredRules(rules: readonly unknown[] | undefined): PolicyRule[] {
  return (rules ?? []).map((raw, index) => {
    const rule = raw as Partial<PolicyRule> | null;
    const lists = ["apiGroups", "resources", "verbs"] as const;
    for (const field of lists) {
      const value = rule?.[field];
      if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        throw new Error(`package.json capstan.rbac[${index}].${field} must be a list of strings`);
      }
    }
    const checked = rule as PolicyRule;
    return {
      apiGroups: [...checked.apiGroups],
      resources: [...checked.resources],
      verbs: [...checked.verbs],
      ...(checked.resourceNames ? { resourceNames: [...checked.resourceNames] } : {}),
    };
  });
}

/** Merges rules with the same groups, resources and names, and sorts everything for stable output. */
export function mergeRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const apiGroups = [...new Set(rule.apiGroups)].sort();
    const resources = [...new Set(rule.resources)].sort();
    const resourceNames = rule.resourceNames ? [...new Set(rule.resourceNames)].sort() : undefined;
    const key = JSON.stringify([apiGroups, resources, resourceNames]);
    const existing = merged.get(key);
    const verbs = [...new Set([...(existing?.verbs ?? []), ...rule.verbs])].sort();
    merged.set(key, { apiGroups, resources, verbs, ...(resourceNames ? { resourceNames } : {}) });
  }
  return [...merged.values()].sort((a, b) =>
    JSON.stringify([a.apiGroups, a.resources]).localeCompare(JSON.stringify([b.apiGroups, b.resources])),
  );
}

/**
 * Least-privilege rules derived from the bindings (the default), or one wildcard rule in admin mode.
 * Watched kinds get get/list/watch cluster-wide (an informer lists then watches); Finalize kinds also
 * get patch (to remove the finalizer). Everything capstan itself touches is named or namespaced.
 */
export function deriveRbac(
  module: ModuleDescription,
  needs: ModuleNeeds,
  names: ResourceNames,
  mode: RbacMode,
): ModuleRbac {
  // controller.shards: each replica deletes its shard Lease when it leaves, and the assigner and the
  // draining replicas patch the shard label onto every watched object.
  const sharded = module.config.controller?.shards !== undefined;
  const namespaceRules: PolicyRule[] = [
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      verbs: ["create", "get", "list", "watch", "update", "patch", ...(sharded ? ["delete"] : [])],
    },
  ];
  // Every role watches the module's Store from the start, used or not (module-runtime.ts), and Pepr
  // mode reads the module's PeprStores on start (docs/store.md, "Pepr mode"); it never writes them.
  namespaceRules.push({
    apiGroups: [STORE_GROUP],
    resources: [STORE_PLURAL],
    verbs: ["create", "get", "list", "watch", "update", "patch"],
  });
  if (names.flavor === "pepr")
    namespaceRules.push({ apiGroups: ["pepr.dev"], resources: ["peprstores"], verbs: ["get"] });
  const clusterRules: PolicyRule[] = [
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
  ];
  if (needs.admission) {
    // `create` cannot be limited to a name, so it stays in the module's namespace.
    namespaceRules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["create"] });
    namespaceRules.push({
      apiGroups: [""],
      resources: ["secrets"],
      resourceNames: [names.tlsSecret],
      verbs: ["get", "list", "watch", "update", "patch"],
    });
    const ownWebhooks = (kind: string) => ({
      apiGroups: ["admissionregistration.k8s.io"],
      resources: [kind],
      resourceNames: [names.webhookConfiguration],
      verbs: ["get", "list", "watch", "update", "patch"],
    });
    if (needs.mutating) clusterRules.push(ownWebhooks("mutatingwebhookconfigurations"));
    if (needs.validating) clusterRules.push(ownWebhooks("validatingwebhookconfigurations"));
  }
  for (const capability of module.capabilities) {
    for (const binding of capability.bindings) {
      if (!binding.isWatch) continue;
      const verbs = binding.isFinalize || sharded ? [...READ, "patch"] : READ;
      clusterRules.push({ apiGroups: [binding.kind.group], resources: [binding.kind.plural], verbs });
    }
  }
  const audit = auditSettings(module.config);
  if (audit.enabled) {
    // The audit lists and watches the kinds its Validate bindings judge, and writes one report per object.
    for (const capability of module.capabilities) {
      for (const binding of capability.bindings) {
        if (binding.action !== "validate") continue;
        const rule = ruleOf({ alias: binding.alias, capability: capability.name, name: binding.name });
        if (audit.rules && !audit.rules.has(rule)) continue;
        clusterRules.push({ apiGroups: [binding.kind.group], resources: [binding.kind.plural], verbs: READ });
      }
    }
    const kinds = REPORT_KINDS[audit.reportApi];
    clusterRules.push({
      apiGroups: [kinds.group],
      resources: [kinds.plural, kinds.clusterPlural],
      verbs: ["get", "list", "create", "update", "patch", "delete"],
    });
  }
  if (mode === "admin") {
    clusterRules.splice(0, clusterRules.length, { apiGroups: ["*"], resources: ["*"], verbs: ["*"] });
  } else {
    clusterRules.push(...declaredRules(module.config.rbac));
  }
  return { clusterRules: mergeRules(clusterRules), namespaceRules: mergeRules(namespaceRules) };
}

export const ADMIN_RBAC_WARNING =
  "--rbac-mode admin grants the module every verb on every resource in the cluster. Use it for demos only; the default (scoped) derives least-privilege rules from the bindings.";

/** Where a module declares extra rules: `capstan.rbac`, or `pepr.rbac` for a Pepr module. */
export function rbacConfigKey(flavor: Flavor): string {
  return `package.json ${flavor}.rbac`;
}

/** The one-line advice for a missing permission: the rule, as JSON, and where it goes. */
export function ruleToAdd(rule: PolicyRule, flavor: Flavor): string {
  const json = JSON.stringify({ apiGroups: rule.apiGroups, resources: rule.resources, verbs: rule.verbs });
  return `add to ${rbacConfigKey(flavor)}: ${json}`;
}

const matches = (allowed: readonly string[], wanted: string) => allowed.includes("*") || allowed.includes(wanted);

/** Whether any rule grants `verb` on `resource` of `group` for any object name. */
export function rulesGrant(rules: readonly PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (rule) =>
      !rule.resourceNames?.length &&
      matches(rule.apiGroups, group) &&
      matches(rule.resources, resource) &&
      matches(rule.verbs, verb),
  );
}

/** A ServiceAccount, role or binding (a `KubeObject` of the manifests). */
export type RbacObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
} & Record<string, unknown>;

export interface RbacObjectsInput {
  readonly names: ResourceNames;
  /** Where the ServiceAccount, Role and RoleBinding live. */
  readonly namespace: string;
  /** The ClusterRole's rules (the Helm chart passes its `rbac` value's marker). */
  readonly clusterRules: unknown;
  readonly namespaceRules: readonly PolicyRule[];
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/**
 * The module's ServiceAccount, ClusterRole, Role and their bindings: the deploy manifests and
 * `capstan dev` (which runs the module as this ServiceAccount) both build them here.
 */
export function rbacObjects(input: RbacObjectsInput): RbacObject[] {
  const { names, namespace } = input;
  const meta = (name: string, namespaced = true) => ({
    name,
    ...(namespaced ? { namespace } : {}),
    ...(input.labels ? { labels: input.labels } : {}),
    ...(input.annotations ? { annotations: input.annotations } : {}),
  });
  const subject = { kind: "ServiceAccount", name: names.serviceAccount, namespace };
  const rbacApi = "rbac.authorization.k8s.io";
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(names.serviceAccount) },
    {
      apiVersion: `${rbacApi}/v1`,
      kind: "ClusterRole",
      metadata: meta(names.clusterRole, false),
      rules: input.clusterRules,
    },
    {
      apiVersion: `${rbacApi}/v1`,
      kind: "ClusterRoleBinding",
      metadata: meta(names.clusterRole, false),
      roleRef: { apiGroup: rbacApi, kind: "ClusterRole", name: names.clusterRole },
      subjects: [subject],
    },
    { apiVersion: `${rbacApi}/v1`, kind: "Role", metadata: meta(names.role), rules: input.namespaceRules },
    {
      apiVersion: `${rbacApi}/v1`,
      kind: "RoleBinding",
      metadata: meta(names.role),
      roleRef: { apiGroup: rbacApi, kind: "Role", name: names.role },
      subjects: [subject],
    },
  ];
}
