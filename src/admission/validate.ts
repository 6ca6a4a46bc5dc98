import type { KubernetesObject } from "../k8s/index.ts";
import type { AdmissionRequest, AdmissionResponse, ValidateActionResponse } from "../model/index.ts";
import { cloneJson, describeBinding, PeprValidateRequest, ruleOf } from "../model/index.ts";
import {
  callbackLogger,
  countBinding,
  type Decision,
  overranMessage,
  type PipelineAction,
  type PipelineContext,
  reviewedObject,
} from "./context.ts";
import { errorMessage, runWithDeadline } from "./deadline.ts";
import { unenforcedDenials } from "./metrics.ts";
import { logActionLine, logRequestLine } from "./pepr-lines.ts";
import { decodeSecretData, isSecretKind } from "./secret-data.ts";

interface Verdict {
  readonly allowed: boolean;
  readonly code?: number;
  readonly message?: string;
  readonly warnings?: readonly string[];
  readonly audit?: string;
}

function defaultDenyMessage(request: AdmissionRequest, object: KubernetesObject): string {
  const name = object.metadata?.name ?? request.name;
  const namespace = object.metadata?.namespace ?? request.namespace;
  return `Validation failed for ${request.kind.kind}/${name}${namespace ? ` in ${namespace} namespace.` : ""}`;
}

function fromCallback(
  answer: ValidateActionResponse | undefined,
  request: AdmissionRequest,
  object: KubernetesObject,
): Verdict {
  if (!answer || typeof answer !== "object") {
    return {
      allowed: false,
      code: 500,
      message: "Action failed with error: the Validate callback returned no answer (use Approve or Deny)",
    };
  }
  if (answer.allowed) return { allowed: true, warnings: answer.warnings };
  return {
    allowed: false,
    code: answer.statusCode || 400,
    message: answer.statusMessage || defaultDenyMessage(request, object),
    warnings: answer.warnings,
  };
}

/**
 * Runs the matching Validate callbacks concurrently, each bounded by the deadline, and joins their
 * answers: allowed only if all allow; the first denial's code; denial messages joined with "; ".
 * A throwing callback always denies (500); an overrunning one is decided by `onError`.
 */
export async function validateRequest(
  context: PipelineContext,
  matched: readonly PipelineAction[],
  request: AdmissionRequest,
  deadline: number,
): Promise<Decision> {
  const { uid, operation } = request;

  const source = reviewedObject(request);
  let object = source;
  if (isSecretKind(request.kind)) {
    object = cloneJson(source);
    decodeSecretData(object);
  }
  const pepr = context.flavor === "pepr";
  if (pepr) logRequestLine(context.requestLogger, request, "Processing validation request");
  const verdicts = await Promise.all(
    matched.map(async (action): Promise<Verdict> => {
      const { binding } = action;
      const logger = callbackLogger(action, uid);
      if (pepr)
        logActionLine(
          context.requestLogger,
          request,
          binding.capability,
          "Processing validation action (validateCallback)",
        );
      // Pepr's line, which its Alias docs show.
      if (binding.alias) context.logger.info(`Executing validate action with alias: ${binding.alias}`);
      const wrapped = new PeprValidateRequest(request, object);
      const outcome = await runWithDeadline(
        () => binding.validateCallback?.(wrapped, logger),
        deadline - performance.now(),
      );
      if (outcome.kind === "done") {
        const verdict = fromCallback(outcome.value, request, object);
        if (pepr) {
          const decided = verdict.allowed ? "allowed" : "denied";
          logActionLine(
            context.requestLogger,
            request,
            binding.capability,
            `Validation action complete (validateCallback): ${decided}`,
          );
        }
        countBinding(binding, operation, verdict.allowed ? "allowed" : "denied");
        return action.enforcement ? notEnforced(action, verdict, request) : verdict;
      }
      if (outcome.kind === "failed") {
        countBinding(binding, operation, "error");
        logger.error(`validate ${describeBinding(binding)}: Action failed: ${errorMessage(outcome.error)}`);
        const failed = {
          allowed: false,
          code: 500,
          message: `Action failed with error: ${errorMessage(outcome.error)}`,
        };
        return action.enforcement ? notEnforced(action, failed, request) : failed;
      }
      countBinding(binding, operation, "timeout");
      const problem = overranMessage(binding, outcome.afterMs, context.timeoutSeconds);
      logger.error({ onError: context.onError }, `validate: ${problem}`);
      if (context.onError === "reject") return { allowed: false, code: 500, message: `capstan: ${problem}` };
      return { allowed: true, warnings: [problem], audit: context.onError === "audit" ? problem : undefined };
    }),
  );

  const actionResponses = verdicts.map((verdict) => actionResponse(uid, verdict));
  const response = joinValidateResponses(uid, actionResponses);
  const audits = verdicts
    .map((verdict, i) => [matched[i]?.binding, verdict.audit] as const)
    .filter(([, audit]) => audit);
  if (audits.length > 0) {
    response.auditAnnotations = Object.fromEntries(
      audits.map(([binding, audit]) => [`${binding?.capability}.${binding?.name}`, audit as string]),
    );
  }
  return { response, actionResponses };
}

/**
 * A binding in `warn` or `audit` mode admits what it would deny: `warn` hands the denial back as a
 * warning (`<rule>: <message>`); `audit` keeps it from the client and records it (an audit
 * annotation, an info line without the object, a metric). Timeouts stay with `onError`.
 */
function notEnforced(action: PipelineAction, verdict: Verdict, request: AdmissionRequest): Verdict {
  if (verdict.allowed || !action.enforcement) return verdict;
  const { binding, enforcement } = action;
  const rule = ruleOf(binding);
  const denial = `${rule}: ${verdict.message ?? "denied"}`;
  unenforcedDenials.inc({ capability: binding.capability, binding: binding.name, mode: enforcement });
  if (enforcement === "warn") return { allowed: true, warnings: [...(verdict.warnings ?? []), denial] };
  action.logger.info(
    {
      rule,
      kind: request.kind.kind,
      namespace: request.namespace,
      name: request.name,
      operation: request.operation,
    },
    "audit mode: admitted a request this rule denies",
  );
  return { allowed: true, ...(verdict.warnings ? { warnings: verdict.warnings } : {}), audit: denial };
}

/** One binding's answer on its own, shaped as Pepr's `ValidateResponse`. */
function actionResponse(uid: string, verdict: Verdict): AdmissionResponse {
  return {
    uid,
    allowed: verdict.allowed,
    ...(verdict.allowed ? {} : { status: { code: verdict.code ?? 400, message: verdict.message ?? "" } }),
    ...(verdict.warnings && verdict.warnings.length > 0 ? { warnings: [...verdict.warnings] } : {}),
  };
}

/** Joins bindings' answers: allowed only if all allow; the first denial's code; denial messages joined with "; "; every warning. */
export function joinValidateResponses(uid: string, answers: readonly AdmissionResponse[]): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: answers.every((answer) => answer.allowed) };
  const denials = answers.filter((answer) => !answer.allowed);
  if (denials.length > 0) {
    response.status = {
      code: denials[0]?.status?.code ?? 400,
      message: denials.map((answer) => answer.status?.message).join("; "),
    };
  }
  const warnings = answers.flatMap((answer) => answer.warnings ?? []);
  if (warnings.length > 0) response.warnings = warnings;
  return response;
}
