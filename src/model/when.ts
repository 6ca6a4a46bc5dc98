import { type GroupVersionKind, type KindClass, kindOf, type ResolvedKind } from "../k8s/index.ts";
import type {
  Action,
  Binding,
  Filters,
  FinalizeAction,
  MutateAction,
  StoredFinalize,
  StoredMutate,
  StoredValidate,
  StoredWatch,
  ValidateAction,
  WatchLogAction,
} from "./binding.ts";
import { emptyFilters } from "./binding.ts";
import { celMutationError, type MutateCelSpec } from "./cel-mutation.ts";
import { type CelPolicy, type CelValidation, callSite, celPolicyError, type ValidateCelOptions } from "./cel-policy.ts";
import { Event } from "./events.ts";
import { addFinalizer } from "./finalizer.ts";
import { bindingDefinitionError } from "./validation.ts";
import type {
  BindingAll,
  FinalizeActionChain,
  MutateActionChain,
  ValidateActionChain,
  WhenSelector,
} from "./when-types.ts";

/** What the builder needs from its capability. */
export interface BindingSink {
  readonly name: string;
  readonly namespaces: readonly string[];
  readonly bindings: readonly Binding[];
  addBinding(binding: Binding): void;
}

type BindingFields = Partial<Omit<Binding, "model" | "kind" | "filters" | "capability" | "name" | "event">> & {
  readonly action: Action;
  readonly event?: Event;
};

/** Starts a `When` chain for `model` (or `gvk` for classes without a registered kind). */
export function when<T extends KindClass>(sink: BindingSink, model: T, gvk?: GroupVersionKind): WhenSelector<T> {
  const kind: ResolvedKind = kindOf(model, gvk);
  const filters: Filters = emptyFilters();
  let event: Event = Event.ANY;
  let alias: string | undefined;

  const register = (fields: BindingFields): void => {
    const binding: Binding = {
      event,
      ...fields,
      model,
      kind,
      filters,
      capability: sink.name,
      name: `${sink.bindings.length}-${fields.action}-${kind.kind.toLowerCase()}`,
      ...(alias === undefined ? {} : { alias }),
    };
    const problem = bindingDefinitionError(binding, sink.namespaces);
    if (problem) throw new Error(problem);
    sink.addBinding(binding);
  };

  const finalizeChain: FinalizeActionChain<T> = {
    Finalize(action: FinalizeAction<T>) {
      register({
        action: "finalize-mutate",
        event: Event.ANY,
        isMutate: true,
        isFinalize: true,
        mutateCallback: addFinalizer as StoredMutate,
      });
      register({
        action: "finalize",
        event: Event.UPDATE,
        isWatch: true,
        isFinalize: true,
        finalizeCallback: action as StoredFinalize,
      });
    },
  };
  const validateChain: ValidateActionChain<T> = {
    Watch(action: WatchLogAction<T>) {
      register({ action: "watch", isWatch: true, watchCallback: action as StoredWatch });
      return finalizeChain;
    },
    Reconcile(action: WatchLogAction<T>) {
      register({ action: "reconcile", isWatch: true, isQueue: true, watchCallback: action as StoredWatch });
      return finalizeChain;
    },
  };
  const mutateChain: MutateActionChain<T> = {
    ...validateChain,
    Validate(action: ValidateAction<T>) {
      register({ action: "validate", isValidate: true, validateCallback: action as unknown as StoredValidate });
      return validateChain;
    },
    ValidateCEL(validations: CelValidation | readonly CelValidation[], options: ValidateCelOptions = {}) {
      const list: readonly CelValidation[] = Array.isArray(validations) ? validations : [validations as CelValidation];
      const source = callSite(2);
      const cel: CelPolicy = {
        validations: list.map((validation) => ({ ...validation })),
        actions: [...(options.actions ?? ["Deny"])],
        ...(source ? { source } : {}),
      };
      const problem = celPolicyError(cel);
      if (problem) {
        throw new Error(
          `${source ? `${source}: ` : ""}Capability ${sink.name}, ValidateCEL on ${kind.kind} (binding ${sink.bindings.length}): ${problem}`,
        );
      }
      register({ action: "validate-cel", cel });
      return mutateChain;
    },
  };
  const chain: BindingAll<T> = {
    ...mutateChain,
    Mutate(action: MutateAction<T>) {
      register({ action: "mutate", isMutate: true, mutateCallback: action as unknown as StoredMutate });
      return mutateChain;
    },
    MutateCEL(spec: MutateCelSpec) {
      const source = callSite(2);
      const problem = celMutationError(spec);
      if (problem) {
        throw new Error(
          `${source ? `${source}: ` : ""}Capability ${sink.name}, MutateCEL on ${kind.kind} (binding ${sink.bindings.length}): ${problem}`,
        );
      }
      register({ action: "mutate-cel", celMutation: { spec: structuredClone(spec), ...(source ? { source } : {}) } });
      return chain;
    },
    InNamespace(...namespaces: string[]) {
      filters.namespaces.push(...namespaces);
      return chain;
    },
    InNamespaceRegex(...expressions: RegExp[]) {
      filters.namespaceRegExps.push(...expressions);
      filters.regexNamespaces.push(...expressions.map((expression) => expression.source));
      return chain;
    },
    WithName(name: string) {
      filters.name = name;
      return chain;
    },
    WithNameRegex(expression: RegExp) {
      filters.nameRegExp = expression;
      filters.regexName = expression.source;
      return chain;
    },
    WithLabel(key: string, value = "") {
      filters.labels[key] = value;
      return chain;
    },
    WithAnnotation(key: string, value = "") {
      filters.annotations[key] = value;
      return chain;
    },
    WithDeletionTimestamp() {
      filters.deletionTimestamp = true;
      return chain;
    },
    Alias(name: string) {
      alias = name;
      return chain;
    },
  };
  const on = (chosen: Event) => () => {
    event = chosen;
    return chain;
  };
  return {
    IsCreatedOrUpdated: on(Event.CREATE_OR_UPDATE),
    IsCreated: on(Event.CREATE),
    IsUpdated: on(Event.UPDATE),
    IsDeleted: on(Event.DELETE),
  };
}
