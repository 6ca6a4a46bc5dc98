import type { KindClass } from "../k8s/index.ts";
import type { FinalizeAction, MutateAction, ValidateAction, WatchLogAction } from "./binding.ts";
import type { MutateCelSpec } from "./cel-mutation.ts";
import type { CelValidation, ValidateCelOptions } from "./cel-policy.ts";

// The stages of the `When` chain, as Pepr types them: what may follow what.

export interface FinalizeActionChain<T extends KindClass> {
  Finalize(action: FinalizeAction<T>): void;
}

export interface ValidateActionChain<T extends KindClass> {
  Watch(action: WatchLogAction<T>): FinalizeActionChain<T>;
  Reconcile(action: WatchLogAction<T>): FinalizeActionChain<T>;
}

export interface MutateActionChain<T extends KindClass> extends ValidateActionChain<T> {
  Validate(action: ValidateAction<T>): ValidateActionChain<T>;
  /**
   * capstan's addition: checks the API server runs itself (a ValidatingAdmissionPolicy built from
   * this chain's kind, event and filters), with no webhook call; docs/cel-policies.md.
   */
  ValidateCEL(
    validations: CelValidation | readonly CelValidation[],
    options?: ValidateCelOptions,
  ): MutateActionChain<T>;
}

export interface CommonActionChain<T extends KindClass> extends MutateActionChain<T> {
  Mutate(action: MutateAction<T>): MutateActionChain<T>;
  /**
   * capstan's addition: labels, annotations, defaults or a CEL patch the API server applies itself
   * (a MutatingAdmissionPolicy built from this chain's kind, event and filters), with no webhook call;
   * docs/cel-policies.md.
   */
  MutateCEL(mutation: MutateCelSpec): CommonActionChain<T>;
}

/**
 * Filters and actions after an event. Pepr's types fix an order (namespaces, then names, then the
 * rest); capstan accepts filters in any order, which every Pepr chain still satisfies.
 */
export interface BindingFilter<T extends KindClass> extends CommonActionChain<T> {
  InNamespace(...namespaces: string[]): BindingFilter<T>;
  InNamespaceRegex(...namespaces: RegExp[]): BindingFilter<T>;
  WithName(name: string): BindingFilter<T>;
  WithNameRegex(regexName: RegExp): BindingFilter<T>;
  WithLabel(key: string, value?: string): BindingFilter<T>;
  WithAnnotation(key: string, value?: string): BindingFilter<T>;
  WithDeletionTimestamp(): BindingFilter<T>;
  Alias(alias: string): BindingFilter<T>;
}

/** Pepr's stage names, kept for authors who import them. */
export type BindingWithName<T extends KindClass> = BindingFilter<T>;
export type BindingAll<T extends KindClass> = BindingFilter<T>;

export interface WhenSelector<T extends KindClass> {
  IsCreatedOrUpdated(): BindingAll<T>;
  IsCreated(): BindingAll<T>;
  IsUpdated(): BindingAll<T>;
  IsDeleted(): BindingAll<T>;
}
