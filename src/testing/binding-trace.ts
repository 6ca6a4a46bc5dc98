import { diffJson, type PatchOperation } from "../admission/index.ts";
import type { KubernetesObject } from "../k8s/index.ts";
import type { ValidateActionResponse } from "../model/index.ts";
import { type Binding, Capability, cloneJson, describeBinding } from "../model/index.ts";
import type { ModuleUnderTest } from "./module-under-test.ts";

/** What one Mutate or Validate callback did during a review. */
export interface BindingTrace {
  /** `<capability>/<binding name>[ (<alias>)]`. */
  readonly binding: string;
  readonly action: "mutate" | "validate";
  /** "running" means it never finished (it overran the webhook's time budget). */
  readonly outcome: "mutated" | "allowed" | "denied" | "threw" | "running";
  /** The changes this callback made to the object (mutate). */
  readonly patch?: readonly PatchOperation[];
  /** A denial's message or the error a callback threw. */
  readonly message?: string;
  readonly code?: number;
  readonly warnings?: readonly string[];
}

type Recorder = (entry: BindingTrace) => { finish(update: Partial<BindingTrace>): void };

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function traced(binding: Binding, record: Recorder): Binding {
  const name = describeBinding(binding);
  const { mutateCallback, validateCallback } = binding;
  if (binding.isMutate && mutateCallback) {
    return {
      ...binding,
      mutateCallback: async (request, logger) => {
        const entry = record({ binding: name, action: "mutate", outcome: "running" });
        const before = cloneJson(request.Raw as KubernetesObject);
        try {
          const result = await mutateCallback(request, logger);
          entry.finish({ outcome: "mutated", patch: diffJson(before, request.Raw) });
          return result;
        } catch (error) {
          entry.finish({ outcome: "threw", message: errorText(error) });
          throw error;
        }
      },
    };
  }
  if (binding.isValidate && validateCallback) {
    return {
      ...binding,
      validateCallback: async (request, logger) => {
        const entry = record({ binding: name, action: "validate", outcome: "running" });
        try {
          const answer: ValidateActionResponse = await validateCallback(request, logger);
          entry.finish({
            outcome: answer?.allowed ? "allowed" : "denied",
            ...(answer?.statusMessage ? { message: answer.statusMessage } : {}),
            ...(answer?.statusCode ? { code: answer.statusCode } : {}),
            ...(answer?.warnings?.length ? { warnings: answer.warnings } : {}),
          });
          return answer;
        } catch (error) {
          entry.finish({ outcome: "threw", message: errorText(error) });
          throw error;
        }
      },
    };
  }
  return binding;
}

/**
 * A copy of the module whose Mutate and Validate callbacks report what they did, so results and
 * failure messages can name the binding responsible. The callbacks themselves run unchanged.
 */
export function tracedModule(module: ModuleUnderTest): { module: ModuleUnderTest; take(): BindingTrace[] } {
  let entries: BindingTrace[] = [];
  const record: Recorder = (entry) => {
    const index = entries.length;
    const list = entries;
    list.push(entry);
    return {
      finish(update) {
        list[index] = { ...entry, ...update };
      },
    };
  };
  const capabilities = module.capabilities.map((original) => {
    const copy = new Capability({
      name: original.name,
      description: original.description,
      namespaces: original.namespaces,
    });
    for (const binding of original.bindings) copy.addBinding(traced(binding, record));
    return copy;
  });
  return {
    module: { ...module, capabilities },
    take() {
      const taken = entries;
      entries = [];
      return taken;
    },
  };
}
