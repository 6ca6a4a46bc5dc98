import type { KindClass, KubernetesObject, ResolvedKind } from "../k8s/index.ts";
import type { Logger } from "../telemetry/index.ts";
import type { ValidateActionResponse } from "./admission-request.ts";
import type { CelMutation } from "./cel-mutation.ts";
import type { CelPolicy } from "./cel-policy.ts";
import type { Event, WatchPhase } from "./events.ts";
import type { PeprMutateRequest } from "./mutate-request.ts";
import type { PeprValidateRequest } from "./validate-request.ts";

/** What the `When` chain's filters recorded. One object is shared by every binding of a chain. */
export interface Filters {
  /** Exact `metadata.name`; "" = any. */
  name: string;
  namespaces: string[];
  /** The `InNamespaceRegex` expressions (flags kept) and, for Pepr compatibility, their sources. */
  namespaceRegExps: RegExp[];
  regexNamespaces: string[];
  /** The `WithNameRegex` expression and its source ("" = none). */
  nameRegExp?: RegExp;
  regexName: string;
  /** `WithLabel`: "" means the key must be present with a non-empty value. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  deletionTimestamp: boolean;
}

/** `mutate-cel`: a `MutateCEL` binding, which the API server runs as a MutatingAdmissionPolicy (no webhook). */
/** `validate-cel`: a `ValidateCEL` binding, which the API server runs as a ValidatingAdmissionPolicy (no webhook). */
export type Action =
  | "mutate"
  | "mutate-cel"
  | "validate"
  | "validate-cel"
  | "watch"
  | "reconcile"
  | "finalize-mutate"
  | "finalize";

export type MutateAction<T extends KindClass, K extends KubernetesObject = InstanceType<T>> = (
  req: PeprMutateRequest<K>,
  logger?: Logger,
) => Promise<void> | void | Promise<PeprMutateRequest<K>> | PeprMutateRequest<K>;

export type ValidateAction<T extends KindClass, K extends KubernetesObject = InstanceType<T>> = (
  req: PeprValidateRequest<K>,
  logger?: Logger,
) => Promise<ValidateActionResponse> | ValidateActionResponse;

/** Watch and Reconcile callbacks. */
/** What a Reconcile callback may return (capstan's addition): run again after `requeueAfter` ms. */
export interface ReconcileResult {
  readonly requeueAfter?: number;
}

export type WatchLogAction<T extends KindClass, K extends KubernetesObject = InstanceType<T>> = (
  update: K,
  phase: WatchPhase,
  logger?: Logger,
  // biome-ignore lint/suspicious/noConfusingVoidType: Pepr's signature: a Watch callback returns nothing
) => Promise<void | ReconcileResult> | void | ReconcileResult;

/** Returning `false` keeps the finalizer; `true`, nothing or a throw removes it. */
export type FinalizeAction<T extends KindClass, K extends KubernetesObject = InstanceType<T>> = (
  update: K,
  logger?: Logger,
  // biome-ignore lint/suspicious/noConfusingVoidType: Pepr's signature: a Finalize callback may return nothing
) => Promise<boolean | void> | boolean | void;

// Stored callbacks are erased to the base object type; the builder keeps authors' types.
export type StoredMutate = (req: PeprMutateRequest<KubernetesObject>, logger?: Logger) => unknown;
export type StoredValidate = (
  req: PeprValidateRequest<KubernetesObject>,
  logger?: Logger,
) => Promise<ValidateActionResponse> | ValidateActionResponse;
export type StoredWatch = (
  update: KubernetesObject,
  phase: WatchPhase,
  logger?: Logger,
  // biome-ignore lint/suspicious/noConfusingVoidType: Pepr's signature: a Watch callback returns nothing
) => Promise<void | ReconcileResult> | void | ReconcileResult;
// biome-ignore lint/suspicious/noConfusingVoidType: Pepr's signature: a Finalize callback may return nothing
export type StoredFinalize = (update: KubernetesObject, logger?: Logger) => Promise<boolean | void> | boolean | void;

/**
 * One registered action: plain data plus a callback. Pepr's fields (`event`, `is*`, `model`, `kind`,
 * `filters`, `alias`, `*Callback`) keep their names; capstan adds `capability`, `action` and `name`.
 */
export interface Binding {
  readonly event: Event;
  readonly action: Action;
  readonly isMutate?: boolean;
  readonly isValidate?: boolean;
  readonly isWatch?: boolean;
  readonly isQueue?: boolean;
  readonly isFinalize?: boolean;
  readonly model: KindClass;
  readonly kind: ResolvedKind;
  readonly filters: Filters;
  readonly alias?: string;
  /** The capability that registered it. */
  readonly capability: string;
  /** Stable within the capability: `<index>-<action>-<kind>`; a metrics label and a log field. */
  readonly name: string;
  readonly mutateCallback?: StoredMutate;
  readonly validateCallback?: StoredValidate;
  readonly watchCallback?: StoredWatch;
  readonly finalizeCallback?: StoredFinalize;
  /** A `ValidateCEL` binding's validations and actions (capstan's addition). */
  readonly cel?: CelPolicy;
  /** A `MutateCEL` binding's mutation (capstan's addition). */
  readonly celMutation?: CelMutation;
}

export function emptyFilters(): Filters {
  return {
    name: "",
    namespaces: [],
    namespaceRegExps: [],
    regexNamespaces: [],
    regexName: "",
    labels: {},
    annotations: {},
    deletionTimestamp: false,
  };
}

/** `<capability>/<binding name>[ (<alias>)]`, for messages. */
export function describeBinding(binding: Binding): string {
  return `${binding.capability}/${binding.name}${binding.alias ? ` (${binding.alias})` : ""}`;
}
