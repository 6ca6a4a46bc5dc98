import type { AdmissionRequest, AdmissionResponse } from "../model/index.ts";
import type { Logger } from "../telemetry/index.ts";
import type { WebhookKind } from "./metrics.ts";

// Pepr's per-request log lines, written for Pepr modules only: its docs show them (Alias) and
// module tests pair them with hook calls by `uid` and `name`. Same messages and fields as Pepr 1.1.4.

/** What a validate answer says when no binding matched, under Pepr. */
export const NO_IN_SCOPE_VALIDATIONS = "no in-scope validations -- allowed!";

interface RequestFields {
  readonly uid: string;
  readonly namespace: string;
  /** `/<name>`, or "" when the request names nothing (Pepr's shape). */
  readonly name: string;
}

function requestFields(request: AdmissionRequest): RequestFields {
  return { uid: request.uid, namespace: request.namespace ?? "", name: request.name ? `/${request.name}` : "" };
}

/** A Secret's patch carries its values: never logged. */
function loggable(request: AdmissionRequest, response: AdmissionResponse): AdmissionResponse {
  if (request.kind.kind !== "Secret" || response.patch === undefined) return response;
  const { patch: _patch, ...rest } = response;
  return rest;
}

/** "Incoming request", as a request reaches the webhook. */
export function logIncoming(logger: Logger, webhook: WebhookKind, request: AdmissionRequest): void {
  logger.info(
    {
      ...requestFields(request),
      gvk: request.kind,
      operation: request.operation,
      admissionKind: webhook === "mutate" ? "Mutate" : "Validate",
    },
    "Incoming request",
  );
}

/** "Check response" for each answer `afterHook` saw, then "Outgoing response" (debug) with the answer sent. */
export function logOutgoing(
  logger: Logger,
  request: AdmissionRequest,
  checked: readonly AdmissionResponse[],
  answer: AdmissionResponse,
): void {
  const fields = requestFields(request);
  for (const res of checked) logger.info({ ...fields, res: loggable(request, res) }, "Check response");
  if (logger.isLevelEnabled("debug")) {
    logger.debug({ ...fields, kubeAdmissionResponse: loggable(request, answer) }, "Outgoing response");
  }
}

/** A line about the whole request ("Processing request", "Processing validation request", "No matching actions found"). */
export function logRequestLine(logger: Logger, request: AdmissionRequest, message: string): void {
  logger.info(requestFields(request), message);
}

/**
 * A line about one binding's callback, with Pepr's fields: `name` is the capability's. Pepr names the
 * callback by its wrapper's name, so the label is always `mutateCallback` or `validateCallback`.
 */
export function logActionLine(logger: Logger, request: AdmissionRequest, capability: string, message: string): void {
  logger.info({ ...requestFields(request), name: capability }, message);
}
