import { type AuditConfig, auditConfigError } from "./audit-config.ts";
import { type EnforcementConfig, enforcementConfigError } from "./enforcement.ts";
import { type Flavor, flavorOfPackage, namesOf } from "./flavor.ts";

export type OnError = "audit" | "ignore" | "reject";
/** `controller.shards`: "auto" (one shard per controller replica) or the controller replica count. */
export type ShardsSetting = "auto" | number;
export const onErrorValues: readonly OnError[] = ["audit", "ignore", "reject"];

interface IgnoreList {
  namespaces?: string[];
}

/** The `pepr` (or `capstan`) block of a module's package.json (Pepr's `ModuleConfig`). */
export interface ModuleConfig {
  uuid: string;
  description?: string;
  /** Required: what a failing or overrunning callback does to the request. */
  onError: OnError;
  /** The webhooks' `timeoutSeconds`, 1–30. Default 10. */
  webhookTimeout?: number;
  alwaysIgnore?: IgnoreList;
  admission?: { alwaysIgnore?: IgnoreList };
  watch?: { alwaysIgnore?: IgnoreList };
  customLabels?: { namespace?: Record<string, string> };
  env?: Record<string, string>;
  rbac?: unknown[];
  rbacMode?: "admin" | "scoped";
  logLevel?: string;
  peprVersion?: string;
  appVersion?: string;
  includedFiles?: string[];
  additionalWebhooks?: { failurePolicy: "Fail" | "Ignore"; namespace: string }[];
  /** capstan: what Validate bindings' denials do (enforce, warn, audit), per module and per rule. Default: enforce. */
  enforcement?: EnforcementConfig;
  /** capstan: judge existing objects with the Validate bindings and write policy reports (docs/audit.md). Default off. */
  audit?: boolean | AuditConfig;
  /**
   * capstan: controller settings. `shards`: split the watched objects over the controller replicas
   * (each replica a shard; "auto" follows the replica count, N ≥ 1 sets it). Off by default; refused
   * in Pepr compatibility mode (a `pepr` block). See docs/scaling.md.
   */
  controller?: { shards?: ShardsSetting };
  /** The namespace the module runs in (always ignored by its webhooks). Default per flavor: "pepr-system" or "capstan-system". */
  namespace?: string;
  /**
   * Not a package.json key: which block the config came from (`pepr` or `capstan`), recorded by
   * `parseModuleConfig`. It selects the names the module observes (see flavor.ts).
   */
  flavor?: Flavor;
}

/** A type as a JSON import gives it: string literals widen to string; `parseModuleConfig` checks the values. */
export type JsonShaped<T> = T extends string
  ? string
  : T extends readonly (infer U)[]
    ? JsonShaped<U>[]
    : T extends object
      ? { [K in keyof T]?: JsonShaped<T[K]> }
      : T;

/** The parts of package.json a module hands to `PeprModule` (`import pkg from "./package.json"` fits). */
export interface PackageJSON {
  description?: string;
  pepr?: JsonShaped<Omit<ModuleConfig, "flavor">>;
  capstan?: JsonShaped<Omit<ModuleConfig, "flavor">>;
}

export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10;
/** capstan's own default namespace; a Pepr-mode module's is "pepr-system" (see `moduleNamespace`). */
export const DEFAULT_MODULE_NAMESPACE = "capstan-system";
const rfc1123Label = /^[a-z0-9]([-a-z0-9]{0,34}[a-z0-9])?$/;

/** Reads and checks the module config; throws with what to fix. */
export function parseModuleConfig(pkg: PackageJSON): ModuleConfig {
  const raw = pkg.capstan ?? pkg.pepr;
  if (!raw || typeof raw !== "object") {
    throw new Error('Module config missing: package.json needs a "pepr" (or "capstan") object with uuid and onError');
  }
  const config = {
    ...raw,
    description: pkg.description ?? raw.description,
    flavor: flavorOfPackage(pkg),
  } as unknown as ModuleConfig;
  if (!onErrorValues.includes(config.onError)) {
    throw new Error(`Invalid onError value "${String(config.onError)}": use one of ${onErrorValues.join(", ")}`);
  }
  if (typeof config.uuid !== "string" || !rfc1123Label.test(config.uuid)) {
    throw new Error(
      `Invalid module uuid "${String(config.uuid)}": use at most 36 lower-case letters, digits and "-", starting and ending with a letter or digit`,
    );
  }
  const timeout = config.webhookTimeout ?? DEFAULT_WEBHOOK_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 30) {
    throw new Error(
      `Invalid webhookTimeout ${String(config.webhookTimeout)}: use a whole number of seconds from 1 to 30`,
    );
  }
  const shardsError = shardsConfigError(config);
  if (shardsError) throw new Error(shardsError);
  const enforcement = enforcementConfigError(config.enforcement);
  if (enforcement) throw new Error(enforcement);
  const audit = auditConfigError(config.audit);
  if (audit) throw new Error(audit);
  return { ...config, webhookTimeout: timeout };
}

/** What is wrong with `controller.shards`, or "" when it is absent or valid. */
function shardsConfigError(config: ModuleConfig): string {
  const controller: unknown = config.controller;
  if (controller === undefined) return "";
  if (typeof controller !== "object" || controller === null || Array.isArray(controller)) {
    return `Invalid controller setting ${JSON.stringify(controller)}: use an object such as { "shards": "auto" }`;
  }
  const shards: unknown = (controller as { shards?: unknown }).shards;
  if (shards === undefined) return "";
  if (config.flavor === "pepr") {
    return 'controller.shards is not available in Pepr compatibility mode (a "pepr" block): move the module config to a "capstan" block to shard its controller, or remove controller.shards';
  }
  if (shards === "auto" || (typeof shards === "number" && Number.isInteger(shards) && shards >= 1)) return "";
  return `Invalid controller.shards ${JSON.stringify(shards)}: use "auto" (one shard per controller replica) or a whole number of replicas ≥ 1`;
}

/** The namespace the module runs in: its config's, else its flavor's default. */
export function moduleNamespace(config: Pick<ModuleConfig, "namespace" | "flavor">): string {
  return config.namespace ?? namesOf(config).defaultNamespace;
}

function firstNonEmpty(...lists: (string[] | undefined)[]): string[] {
  return lists.find((list) => list && list.length > 0) ?? [];
}

/** Namespaces admission ignores: `alwaysIgnore` wins when non-empty, then `admission.alwaysIgnore`. */
export function admissionIgnoredNamespaces(config: ModuleConfig): string[] {
  return firstNonEmpty(config.alwaysIgnore?.namespaces, config.admission?.alwaysIgnore?.namespaces);
}

/** Namespaces watches ignore: `alwaysIgnore` wins when non-empty, then `watch.alwaysIgnore`. */
export function watchIgnoredNamespaces(config: ModuleConfig): string[] {
  return firstNonEmpty(config.alwaysIgnore?.namespaces, config.watch?.alwaysIgnore?.namespaces);
}
