// Enforcement modes: what a Validate binding's denial does. Module configuration, not authoring API,
// so a rule rolls out audit → warn → enforce without a code change.
import type { Binding } from "./binding.ts";
import type { CelAction } from "./cel-policy.ts";

/** `enforce` denies (Pepr's behaviour); `warn` admits and returns the denial as a warning; `audit` admits and records it. */
export type Enforcement = "enforce" | "warn" | "audit";
export const enforcementValues: readonly Enforcement[] = ["enforce", "warn", "audit"];

/** The `enforcement` key of the module config. */
export interface EnforcementConfig {
  /** The mode of every Validate binding the config does not name. Default `enforce`. */
  readonly default?: Enforcement;
  /** Modes by rule name: the binding's alias, else `<capability>/<binding name>`. */
  readonly bindings?: Readonly<Record<string, Enforcement>>;
}

/** The name a binding goes by in modes, audit reports and the preview: its alias, else `<capability>/<binding name>`. */
export function ruleOf(binding: Pick<Binding, "alias" | "capability" | "name">): string {
  return binding.alias || `${binding.capability}/${binding.name}`;
}

function isEnforcement(value: unknown): value is Enforcement {
  return typeof value === "string" && (enforcementValues as readonly string[]).includes(value);
}

const USE = `use one of ${enforcementValues.join(", ")}`;

/** What is wrong with an `enforcement` value ("" = nothing). */
export function enforcementConfigError(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return 'Invalid enforcement: use an object such as { "default": "enforce", "bindings": { "<rule>": "warn" } }';
  }
  const { default: fallback, bindings, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) return `Unknown enforcement key "${extra[0]}": use "default" and "bindings"`;
  if (fallback !== undefined && !isEnforcement(fallback)) {
    return `Invalid enforcement.default "${String(fallback)}": ${USE}`;
  }
  if (bindings === undefined) return "";
  if (typeof bindings !== "object" || bindings === null || Array.isArray(bindings)) {
    return 'Invalid enforcement.bindings: use an object of rule names to modes, e.g. { "my-alias": "warn" }';
  }
  for (const [rule, mode] of Object.entries(bindings)) {
    if (!isEnforcement(mode)) return `Invalid enforcement.bindings["${rule}"] "${String(mode)}": ${USE}`;
  }
  return "";
}

/** Whether the config names a mode for this binding, by rule name or as a default. */
function configuredMode(config: { enforcement?: EnforcementConfig }, binding: Binding): Enforcement | undefined {
  return config.enforcement?.bindings?.[ruleOf(binding)] ?? config.enforcement?.default;
}

/** A Validate binding's mode: the config's for its rule name, else the config's default, else `enforce`. */
export function enforcementOf(config: { enforcement?: EnforcementConfig }, binding: Binding): Enforcement {
  return configuredMode(config, binding) ?? "enforce";
}

const CEL_ACTION: Record<Enforcement, CelAction> = { enforce: "Deny", warn: "Warn", audit: "Audit" };

/**
 * A ValidateCEL binding's `validationActions`: its own `actions` unless the config gives it a mode;
 * then that mode's action, keeping `Audit` when the code asked for it too.
 */
export function celActionsOf(
  config: { enforcement?: EnforcementConfig },
  binding: Binding,
  actions: readonly CelAction[],
): CelAction[] {
  const mode = configuredMode(config, binding);
  if (mode === undefined) return [...actions];
  const action = CEL_ACTION[mode];
  return action !== "Audit" && actions.includes("Audit") ? [action, "Audit"] : [action];
}

/** What is wrong with the rule names in `enforcement.bindings` ("" = nothing): each must name a Validate or ValidateCEL binding. */
export function enforcementNamesError(
  config: { enforcement?: EnforcementConfig },
  bindings: Iterable<Binding>,
): string {
  const named = Object.keys(config.enforcement?.bindings ?? {});
  if (named.length === 0) return "";
  const rules = new Set<string>();
  for (const binding of bindings) if (binding.isValidate || binding.cel) rules.add(ruleOf(binding));
  const unknown = named.find((rule) => !rules.has(rule));
  if (unknown === undefined) return "";
  const known = [...rules].sort();
  return `enforcement.bindings["${unknown}"] names no Validate binding: use an alias or <capability>/<binding name>${
    known.length > 0 ? ` (this module has: ${known.join(", ")})` : " (this module has no Validate binding)"
  }`;
}
