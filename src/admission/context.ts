import type { KubernetesObject } from "../k8s/index.ts";
import type { Binding, Enforcement, Flavor, OnError } from "../model/index.ts";
import { type AdmissionRequest, type AdmissionResponse, describeBinding, subjectOf } from "../model/index.ts";
import { bindingLogFields, LogField, type Logger } from "../telemetry/index.ts";
import type { PatchOperation } from "./json-patch.ts";
import { bindingDecisions, peprMutateTimeouts, peprValidateTimeouts } from "./metrics.ts";

/** A binding with the namespaces of the capability that registered it. */
export interface BoundAction {
  readonly binding: Binding;
  readonly capabilityNamespaces: readonly string[];
}

/** A bound action as the pipelines run it, with its binding's logger (made once, see `bindingLogger`). */
export interface PipelineAction extends BoundAction {
  readonly logger: Logger;
  /** A Validate binding's mode (resolved once from the module config); absent = enforce. */
  readonly enforcement?: Enforcement;
}

/** What both pipelines need from the module and the server. */
export interface PipelineContext {
  readonly onError: OnError;
  readonly ignoredNamespaces: readonly string[];
  readonly logger: Logger;
  /**
   * `logger` without redaction, for the per-request lines capstan writes itself (the decision and
   * Pepr's): their fields are capstan's own, none is a redacted path, and redacting costs about half a line.
   */
  readonly requestLogger: Logger;
  /** `<uuid>.pepr.dev/` or `<uuid>.capstan.dev/`: each mutating capability leaves `<prefix><capability>: succeeded|warning`. */
  readonly statusAnnotationPrefix: string;
  /**
   * Whose status semantics: under `pepr` a callback sees its capability's annotation at `started`
   * and the capability's last binding decides the final value, as in Pepr; under `capstan` any
   * failed binding leaves `warning`.
   */
  readonly flavor: Flavor;
  readonly timeoutSeconds: number;
  readonly beforeHook?: (request: AdmissionRequest) => void;
  readonly afterHook?: (response: AdmissionResponse) => void;
}

/** A pipeline's answer, with the patch operations it encoded (for the decision log). */
export interface Decision {
  readonly response: AdmissionResponse;
  readonly patch?: readonly PatchOperation[];
  /** `patch` as JSON (the text the response's base64 patch encodes). */
  readonly patchJson?: string;
  /** Validate only: each matched binding's own answer, in binding order (what Pepr's `afterHook` gets, one call each). */
  readonly actionResponses?: readonly AdmissionResponse[];
}

export type BindingResult = "succeeded" | "allowed" | "denied" | "error" | "timeout";

/** Counts one callback's outcome. */
export function countBinding(binding: Binding, operation: string, result: BindingResult): void {
  bindingDecisions.inc({ capability: binding.capability, binding: binding.name, operation, result });
  if (result === "timeout") (binding.isMutate ? peprMutateTimeouts : peprValidateTimeouts).inc();
}

/** A binding's logger: capability, binding and alias (Pepr's default alias text). */
export function bindingLogger(logger: Logger, binding: Binding): Logger {
  return logger.child(bindingLogFields(binding));
}

/**
 * The logger a callback receives: its binding's logger with the request id. The child logger is
 * made on the callback's first use of it: most callbacks never log, and making one per request
 * (its fields serialised and redacted) cost more than the rest of a Mutate callback's setup.
 */
export function callbackLogger(action: PipelineAction, requestId: string): Logger {
  let child: Logger | undefined;
  const real = () => {
    child ??= action.logger.child({ [LogField.requestId]: requestId });
    return child;
  };
  return new Proxy(action.logger, {
    get(_, key) {
      const target = real();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
  });
}

/** The message for a callback that overran: which binding, and how long it had. */
export function overranMessage(binding: Binding, afterMs: number, timeoutSeconds: number): string {
  return `${describeBinding(binding)} did not finish within its share of the ${timeoutSeconds}s webhook timeout (abandoned after ${Math.round(afterMs)} ms)`;
}

/** The object a request is about (`subjectOf`); a review that reached a pipeline has passed `parseAdmissionReview`. */
export function reviewedObject(request: AdmissionRequest): KubernetesObject {
  return subjectOf(request) as KubernetesObject;
}
