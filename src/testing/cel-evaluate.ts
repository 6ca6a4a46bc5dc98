// Offline evaluation of a ValidatingAdmissionPolicy + binding against one admission request, with
// the API server's semantics (k8s.io/apiserver admission/plugin/policy/validating): every validation
// runs; the first failure decides a denial; Warn and Audit report every failure.
import type { KubernetesObject } from "../k8s/index.ts";
import type { AdmissionRequest, CelAction, CelReason, CelValidation } from "../model/index.ts";
import { type CEL_VARIABLES, celErrorText, compileCel, toCelValue } from "./cel-environment.ts";

/** One rule of a policy (`spec.validations[]`): the model's `CelValidation`, as `ValidateCEL` records it. */
export type CelValidationRule = CelValidation;
/** The reasons the API accepts for a validation (v1.36 rejects "Unauthorized" although the decoder maps it to 401). */
export type CelDenyReason = CelReason;
export type CelValidationAction = CelAction;

/** A policy with one binding, as the API server would hold them. */
export interface CelPolicyUnderTest {
  readonly policyName: string;
  readonly bindingName: string;
  readonly validations: readonly CelValidationRule[];
  readonly actions: readonly CelValidationAction[];
  /** Default Fail, as in Kubernetes. */
  readonly failurePolicy?: "Fail" | "Ignore";
}

export interface CelEvaluationOptions {
  /** The request's Namespace (the `namespaceObject` variable); null for cluster-scoped objects. */
  readonly namespaceObject?: KubernetesObject | null;
}

/** What one validation decided. */
export interface CelDecision {
  readonly index: number;
  readonly expression: string;
  /** `error`: the expression did not compile or failed at run time (denies under failurePolicy Fail). */
  readonly outcome: "admit" | "deny" | "error";
  readonly message?: string;
  readonly reason?: CelDenyReason;
}

/** The API server's answer, as a client sees it. */
export interface CelVerdict {
  readonly allowed: boolean;
  /** The HTTP code of a denial: 422 (reason Invalid, the default), 403 or 413. */
  readonly code?: number;
  readonly reason?: CelDenyReason;
  /** "ValidatingAdmissionPolicy '<p>' with binding '<b>' denied request: <message>". */
  readonly message?: string;
  /** The Status message a client gets: `<resource> "<name>" is forbidden: <message>`. */
  readonly statusMessage?: string;
  readonly warnings: readonly string[];
  /** Audit annotations the request's audit event would carry (the Audit action). */
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly decisions: readonly CelDecision[];
}

const CODES: Record<CelDenyReason, number> = {
  Forbidden: 403,
  RequestEntityTooLarge: 413,
  Invalid: 422,
};

const MAX_MESSAGE_BYTES = 5 * 1024;
const AUDIT_KEY = "validation.policy.admission.k8s.io/validation_failure";

function activation(request: AdmissionRequest, options: CelEvaluationOptions): Record<string, unknown> {
  const { object, oldObject, ...rest } = request;
  const values: Record<(typeof CEL_VARIABLES)[number], unknown> = {
    object: request.operation === "DELETE" ? null : (object ?? null),
    oldObject: request.operation === "CREATE" ? null : (oldObject ?? null),
    request: rest,
    params: null,
    namespaceObject: options.namespaceObject ?? null,
    variables: {},
  };
  return toCelValue(values) as Record<string, unknown>;
}

function customMessage(rule: CelValidationRule, context: Record<string, unknown>): string {
  if (rule.messageExpression) {
    const program = compileCel(rule.messageExpression);
    if (program.ok) {
      try {
        const value = program.run(context);
        if (typeof value === "string") {
          const trimmed = value.trim();
          if (trimmed && Buffer.byteLength(trimmed) <= MAX_MESSAGE_BYTES && !trimmed.includes("\n")) return trimmed;
        }
      } catch {
        // The API server falls back to `message`, as below.
      }
    }
  }
  const message = rule.message?.trim();
  return message ? message : `failed expression: ${rule.expression.trim()}`;
}

function decide(rule: CelValidationRule, index: number, context: Record<string, unknown>): CelDecision {
  const base = { index, expression: rule.expression };
  const program = compileCel(rule.expression);
  if (!program.ok) return { ...base, outcome: "error", message: `compilation error: ${program.error}` };
  let result: unknown;
  try {
    result = program.run(context);
  } catch (error) {
    return {
      ...base,
      outcome: "error",
      message: `expression '${rule.expression}' resulted in error: ${celErrorText(error)}`,
    };
  }
  if (result === true) return { ...base, outcome: "admit" };
  if (typeof result !== "boolean") {
    return {
      ...base,
      outcome: "error",
      message: `expression '${rule.expression}' resulted in error: expected a bool, got ${typeof result}`,
    };
  }
  return { ...base, outcome: "deny", message: customMessage(rule, context), reason: rule.reason ?? "Invalid" };
}

function qualifiedResource(request: AdmissionRequest): string {
  const { resource, group } = request.resource;
  return group ? `${resource}.${group}` : resource;
}

/** The message `admission.NewForbidden` gives a client. */
export function forbiddenMessage(request: AdmissionRequest, message: string): string {
  const name = request.name ? ` ${JSON.stringify(request.name)}` : "";
  return `${qualifiedResource(request)}${name} is forbidden: ${message}`;
}

/**
 * Evaluates a policy's validations against a request as the API server does, without a cluster.
 * Failing validations (and, under failurePolicy Fail, expressions that error) act per the binding's
 * actions: Deny denies with the first failure, Warn adds a warning per failure, Audit records an
 * audit annotation.
 */
export function evaluateCelPolicy(
  policy: CelPolicyUnderTest,
  request: AdmissionRequest,
  options: CelEvaluationOptions = {},
): CelVerdict {
  const context = activation(request, options);
  const decisions = policy.validations.map((rule, index) => decide(rule, index, context));
  const failing = decisions.filter(
    (d) => d.outcome === "deny" || (d.outcome === "error" && (policy.failurePolicy ?? "Fail") === "Fail"),
  );
  const warnings: string[] = [];
  const auditAnnotations: Record<string, string> = {};
  let denial: CelDecision | undefined;
  for (const decision of failing) {
    for (const action of policy.actions) {
      if (action === "Deny") denial ??= decision;
      if (action === "Warn") {
        warnings.push(
          `Validation failed for ValidatingAdmissionPolicy '${policy.policyName}' with binding '${policy.bindingName}': ${decision.message}`,
        );
      }
      if (action === "Audit") {
        auditAnnotations[AUDIT_KEY] = JSON.stringify([
          {
            message: decision.message,
            policy: policy.policyName,
            binding: policy.bindingName,
            expressionIndex: decision.index,
            validationActions: policy.actions,
          },
        ]);
      }
    }
  }
  if (!denial) return { allowed: true, warnings, auditAnnotations, decisions };
  const reason = denial.reason ?? "Invalid";
  const message = `ValidatingAdmissionPolicy '${policy.policyName}' with binding '${policy.bindingName}' denied request: ${denial.message}`;
  return {
    allowed: false,
    code: CODES[reason],
    reason,
    message,
    statusMessage: forbiddenMessage(request, message),
    warnings,
    auditAnnotations,
    decisions,
  };
}
