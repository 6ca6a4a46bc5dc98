import type { KubernetesObject } from "../k8s/index.ts";
import type { AdmissionRequest, AdmissionResponse } from "../model/index.ts";
import { describeBinding, PeprMutateRequest, WorkingObject } from "../model/index.ts";
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
import { diffJson } from "./json-patch.ts";
import { logActionLine, logRequestLine } from "./pepr-lines.ts";
import { decodeSecretData, encodeSecretData, isSecretKind, undecodableKeys } from "./secret-data.ts";

type CapabilityStatus = "succeeded" | "warning";
type SecretObject = KubernetesObject & { data?: Record<string, string> };

/**
 * Runs the matching Mutate callbacks in order on one working object and answers with the patch from
 * the original to the result (see `WorkingObject`: helpers copy only what they change, `Raw` makes a
 * full copy). A callback that throws or overruns the deadline is decided by
 * `onError`: under `reject` the request is denied and nothing is patched; under `audit`/`ignore`
 * that callback's changes are dropped (the copy is rolled back) and the rest still run.
 */
export async function mutateRequest(
  context: PipelineContext,
  matched: readonly PipelineAction[],
  request: AdmissionRequest,
  deadline: number,
): Promise<Decision> {
  const { uid, operation } = request;

  const original = reviewedObject(request);
  const secret = isSecretKind(request.kind);
  const fresh = () => new WorkingObject(original, secret ? { decode: decodeSecretData } : {});
  let working = fresh();
  const statuses = new Map<string, CapabilityStatus>();
  const warnings: string[] = [];
  const auditAnnotations: Record<string, string> = {};
  const pepr = context.flavor === "pepr";
  const statusKey = (capability: string) => `${context.statusAnnotationPrefix}${capability}`;

  if (pepr) logRequestLine(context.requestLogger, request, "Processing request");
  for (let i = 0; i < matched.length; i++) {
    const action = matched[i] as PipelineAction;
    const { binding } = action;
    if (pepr)
      logActionLine(context.requestLogger, request, binding.capability, "Processing mutation action (mutateCallback)");
    const rollback = i === 0 ? undefined : working.snapshot();
    // Pepr marks the capability `started` before each of its callbacks, and the callback can read it.
    if (pepr && operation !== "DELETE") working.setEntry("annotations", statusKey(binding.capability), "started");
    const wrapped = new PeprMutateRequest(request, working);
    const logger = callbackLogger(action, uid);
    // Pepr's line, which its Alias docs show.
    if (binding.alias) context.logger.info(`Executing mutation action with alias: ${binding.alias}`);
    // Callbacks run one after another, so each gets an equal share of what is left; time one
    // does not use passes on to the next.
    const share = (deadline - performance.now()) / (matched.length - i);
    const outcome = await runWithDeadline(() => binding.mutateCallback?.(wrapped, logger), share);
    if (outcome.kind === "done") {
      countBinding(binding, operation, "succeeded");
      if (pepr)
        logActionLine(context.requestLogger, request, binding.capability, "Mutation action succeeded (mutateCallback)");
      // Pepr: the capability's last binding decides; capstan: a warning stays.
      if (pepr || !statuses.has(binding.capability)) statuses.set(binding.capability, "succeeded");
      continue;
    }
    const problem =
      outcome.kind === "failed"
        ? `Action failed: ${errorMessage(outcome.error)}`
        : overranMessage(binding, outcome.afterMs, context.timeoutSeconds);
    countBinding(binding, operation, outcome.kind === "failed" ? "error" : "timeout");
    logger.error({ onError: context.onError }, `mutate ${describeBinding(binding)}: ${problem}`);
    if (context.onError === "reject") {
      const message = `capstan: mutate binding ${describeBinding(binding)} failed (${problem}); the module rejects on error`;
      return { response: { uid, allowed: false, status: { code: 500, message } } };
    }
    statuses.set(binding.capability, "warning");
    warnings.push(problem);
    if (context.onError === "audit") auditAnnotations[`${binding.capability}.${binding.name}`] = problem;
    // A new working object, so an abandoned callback that goes on changing its own cannot reach it.
    working = rollback ?? fresh();
  }

  const response: AdmissionResponse = { uid, allowed: true };
  if (warnings.length > 0) response.warnings = warnings;
  if (Object.keys(auditAnnotations).length > 0) response.auditAnnotations = auditAnnotations;
  if (operation === "DELETE") return { response };

  for (const [capability, status] of statuses) {
    working.setEntry("annotations", statusKey(capability), status);
  }
  const result = working.peek();
  // Only a full copy can hold decoded Secret data; shared state still has the original encoded data.
  if (secret && working.isFull) encodeSecretData(result as SecretObject, undecodableKeys(original as SecretObject));
  const patch = diffJson(original, result);
  if (patch.length === 0) return { response };
  response.patchType = "JSONPatch";
  const patchJson = JSON.stringify(patch);
  response.patch = Buffer.from(patchJson).toString("base64");
  return { response, patch, patchJson };
}
