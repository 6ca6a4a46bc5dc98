import type { KindClass } from "../k8s/kinds.ts";
import type { FinalizeAction, MutateAction, ValidateAction, WatchLogAction } from "./binding.ts";

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
}

export interface CommonActionChain<T extends KindClass> extends MutateActionChain<T> {
  Mutate(action: MutateAction<T>): MutateActionChain<T>;
}

export interface BindingFilter<T extends KindClass> extends CommonActionChain<T> {
  WithLabel(key: string, value?: string): BindingFilter<T>;
  WithAnnotation(key: string, value?: string): BindingFilter<T>;
  WithDeletionTimestamp(): BindingFilter<T>;
  Alias(alias: string): BindingFilter<T>;
}

export interface BindingWithName<T extends KindClass> extends BindingFilter<T> {
  WithName(name: string): BindingFilter<T>;
  WithNameRegex(regexName: RegExp): BindingFilter<T>;
}

export interface BindingAll<T extends KindClass> extends BindingWithName<T> {
  InNamespace(...namespaces: string[]): BindingWithName<T>;
  InNamespaceRegex(...namespaces: RegExp[]): BindingWithName<T>;
}

export interface WhenSelector<T extends KindClass> {
  IsCreatedOrUpdated(): BindingAll<T>;
  IsCreated(): BindingAll<T>;
  IsUpdated(): BindingAll<T>;
  IsDeleted(): BindingAll<T>;
}
