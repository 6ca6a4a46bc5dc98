import { labelsShards } from "../admission/index.ts";
import type { Action, Binding, Capability, CelMutation, CelPolicy, Event, ModuleConfig } from "../model/index.ts";
import { auditSettings } from "../model/index.ts";

/**
 * What `capstan build` learns about a module, as plain serialisable data: no classes, callbacks or
 * RegExp objects. Every manifest is a pure function of it (and of the build options).
 */
export interface ModuleDescription {
  /** The package name and version from package.json. */
  readonly packageName: string;
  readonly version: string;
  readonly description: string;
  /** The module config (package.json `capstan` or `pepr` block), already validated. */
  readonly config: ModuleConfig;
  readonly capabilities: readonly CapabilityDescription[];
  /**
   * Whether the Store is used. Store calls live inside callbacks that discovery never runs, so the
   * build decides: any schedule, `store: true` in the config, or a source file of the module's own
   * (not a dependency) that names `Store`.
   */
  readonly storeUsed: boolean;
  /** Whether `PeprModule` got a `beforeHook` or `afterHook` (a Pepr module's webhooks then select as Pepr's do). */
  readonly hooks?: boolean;
}

export interface CapabilityDescription {
  readonly name: string;
  readonly description: string;
  readonly namespaces: readonly string[];
  readonly hasSchedule: boolean;
  readonly bindings: readonly BindingDescription[];
}

export interface KindDescription {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface RegExpDescription {
  readonly source: string;
  readonly flags: string;
}

export interface BindingDescription {
  readonly name: string;
  readonly action: Action;
  readonly event: Event;
  readonly isMutate: boolean;
  readonly isValidate: boolean;
  readonly isWatch: boolean;
  readonly isQueue: boolean;
  readonly isFinalize: boolean;
  readonly kind: KindDescription;
  readonly filters: {
    readonly name: string;
    readonly namespaces: readonly string[];
    /** `InNamespaceRegex` / `WithNameRegex` expressions with their flags. */
    readonly namespaceRegExps: readonly RegExpDescription[];
    readonly nameRegExp?: RegExpDescription;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly deletionTimestamp: boolean;
  };
  readonly alias?: string;
  /** A `ValidateCEL` binding's validations and actions. */
  readonly cel?: CelPolicy;
  /** A `MutateCEL` binding's mutation. */
  readonly celMutation?: CelMutation;
}

export function describeBindingData(binding: Binding): BindingDescription {
  const { kind, filters } = binding;
  return {
    name: binding.name,
    action: binding.action,
    event: binding.event,
    isMutate: binding.isMutate === true,
    isValidate: binding.isValidate === true,
    isWatch: binding.isWatch === true,
    isQueue: binding.isQueue === true,
    isFinalize: binding.isFinalize === true,
    kind: {
      group: kind.group,
      version: kind.version,
      kind: kind.kind,
      plural: kind.plural,
      namespaced: kind.namespaced,
    },
    filters: {
      name: filters.name,
      namespaces: [...filters.namespaces],
      namespaceRegExps: filters.namespaceRegExps.map(({ source, flags }) => ({ source, flags })),
      ...(filters.nameRegExp
        ? { nameRegExp: { source: filters.nameRegExp.source, flags: filters.nameRegExp.flags } }
        : {}),
      labels: { ...filters.labels },
      annotations: { ...filters.annotations },
      deletionTimestamp: filters.deletionTimestamp,
    },
    ...(binding.alias === undefined ? {} : { alias: binding.alias }),
    ...(binding.cel === undefined ? {} : { cel: structuredClone(binding.cel) }),
    ...(binding.celMutation === undefined ? {} : { celMutation: structuredClone(binding.celMutation) }),
  };
}

export function describeCapability(capability: Capability): CapabilityDescription {
  return {
    name: capability.name,
    description: capability.description,
    namespaces: [...capability.namespaces],
    hasSchedule: capability.hasSchedule,
    bindings: capability.bindings.map(describeBindingData),
  };
}

/** Which parts of capstan a module needs deployed. */
export interface ModuleNeeds {
  readonly admission: boolean;
  readonly mutating: boolean;
  readonly validating: boolean;
  readonly controller: boolean;
  readonly store: boolean;
}

/**
 * Admission runs when any Mutate/Validate binding exists; the controller when any Watch, Reconcile,
 * Finalize or OnSchedule exists, or the module audits. The Store CRD ships when the Store or a schedule is used.
 */
export function moduleNeeds(module: ModuleDescription): ModuleNeeds {
  const bindings = module.capabilities.flatMap((capability) => capability.bindings);
  const hasSchedule = module.capabilities.some((capability) => capability.hasSchedule);
  // A sharded module that serves admission also serves the shard label webhook (a mutating one).
  const mutating = bindings.some((binding) => binding.isMutate) || labelsShards(module);
  const validating = bindings.some((binding) => binding.isValidate);
  return {
    admission: mutating || validating,
    mutating,
    validating,
    controller: bindings.some((binding) => binding.isWatch) || hasSchedule || auditSettings(module.config).enabled,
    store: module.storeUsed || hasSchedule,
  };
}
