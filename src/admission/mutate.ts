import type { KubernetesObject } from "../k8s/kinds.ts";
import type { AdmissionRequest, AdmissionResponse } from "../model/admission-request.ts";
import { describeBinding } from "../model/binding.ts";
import { cloneJson } from "../model/json.ts";
import { PeprMutateRequest } from "../model/mutate-request.ts";
import {
  type BoundAction,
  callbackLogger,
  countBinding,
  overranMessage,
  type PipelineContext,
  reviewedObject,
} from "./context.ts";
import { errorMessage, runWithDeadline } from "./deadline.ts";
import { diffJson } from "./json-patch.ts";
import { decodeSecretData, encodeSecretData, isSecretKind } from "./secret-data.ts";

type CapabilityStatus = "succeeded" | "warning";

/**
 * Runs the matching Mutate callbacks in order on one working copy and answers with the patch from
 * the original to the result. A callback that throws or overruns the deadline is decided by
 * `onError`: under `reject` the request is denied and nothing is patched; under `audit`/`ignore`
 * that callback's changes are dropped (the copy is rolled back) and the rest still run.
 */
export async function mutateRequest(
  context: PipelineContext,
  matched: readonly BoundAction[],
  request: AdmissionRequest,
  deadline: number,
): Promise<AdmissionResponse> {
  const { uid, operation } = request;

  const original = reviewedObject(request);
  const secret = isSecretKind(request.kind);
  let skipped: Set<string> = new Set();
  const freshCopy = (): KubernetesObject => {
    const copy = cloneJson(original);
    if (secret) skipped = decodeSecretData(copy);
    return copy;
  };
  let working = freshCopy();
  const statuses = new Map<string, CapabilityStatus>();
  const warnings: string[] = [];
  const auditAnnotations: Record<string, string> = {};

  for (let i = 0; i < matched.length; i++) {
    const { binding } = matched[i] as BoundAction;
    const rollback = i === 0 ? undefined : cloneJson(working);
    const wrapped = new PeprMutateRequest(request, working);
    const logger = callbackLogger(context, binding, uid);
    logger.debug(`Executing mutation action with alias: ${binding.alias ?? "no alias provided"}`);
    // Callbacks run one after another, so each gets an equal share of what is left; time one
    // does not use passes on to the next.
    const share = (deadline - performance.now()) / (matched.length - i);
    const outcome = await runWithDeadline(() => binding.mutateCallback?.(wrapped, logger), share);
    if (outcome.kind === "done") {
      working = wrapped.Raw;
      countBinding(binding, operation, "succeeded");
      if (!statuses.has(binding.capability)) statuses.set(binding.capability, "succeeded");
      continue;
    }
    const problem =
      outcome.kind === "failed"
        ? `Action failed: ${errorMessage(outcome.error)}`
        : overranMessage(binding, outcome.afterMs, context.timeoutSeconds);
    countBinding(binding, operation, outcome.kind === "failed" ? "error" : "timeout");
    logger.error({ onError: context.onError }, `mutate ${describeBinding(binding)}: ${problem}`);
    if (context.onError === "reject") {
      return {
        uid,
        allowed: false,
        status: {
          code: 500,
          message: `capstan: mutate binding ${describeBinding(binding)} failed (${problem}); the module rejects on error`,
        },
      };
    }
    statuses.set(binding.capability, "warning");
    warnings.push(problem);
    if (context.onError === "audit") auditAnnotations[`${binding.capability}.${binding.name}`] = problem;
    working = rollback ?? freshCopy();
  }

  const response: AdmissionResponse = { uid, allowed: true };
  if (warnings.length > 0) response.warnings = warnings;
  if (Object.keys(auditAnnotations).length > 0) response.auditAnnotations = auditAnnotations;
  if (operation === "DELETE") return response;

  const metadata = working.metadata ?? {};
  working.metadata = metadata;
  const annotations = { ...metadata.annotations };
  for (const [capability, status] of statuses) annotations[`${context.statusAnnotationPrefix}${capability}`] = status;
  metadata.annotations = annotations;
  if (secret) encodeSecretData(working as KubernetesObject & { data?: Record<string, string> }, skipped);
  const patch = diffJson(original, working);
  if (patch.length > 0) {
    response.patchType = "JSONPatch";
    response.patch = Buffer.from(JSON.stringify(patch)).toString("base64");
  }
  return response;
}
