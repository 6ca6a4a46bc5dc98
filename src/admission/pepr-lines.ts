import type { AdmissionRequest, AdmissionResponse } from "../model/index.ts";
import { jsonString, type LineWriter, type Logger, lineWriter } from "../telemetry/index.ts";
import type { WebhookKind } from "./metrics.ts";
import { responseJson } from "./review.ts";

// Pepr's per-request log lines, written for Pepr modules only: its docs show them (Alias) and
// module tests pair them with hook calls by `uid` and `name`. Same messages and fields as Pepr 1.1.4.
// A mutate request writes up to six of them, so each field is serialised once per request and the
// lines are written as text (`lineWriter`), the same bytes the logger would write for those fields.

/** What a validate answer says when no binding matched, under Pepr. */
export const NO_IN_SCOPE_VALIDATIONS = "no in-scope validations -- allowed!";

interface Writers {
  readonly info: LineWriter;
  readonly debug: LineWriter;
}

const writersByLogger = new WeakMap<Logger, Writers>();

/** The writers of a logger, made once (a child logger made per request would defeat this). */
export function writersOf(logger: Logger): Writers {
  let writers = writersByLogger.get(logger);
  if (!writers) {
    writers = { info: lineWriter(logger, "info"), debug: lineWriter(logger, "debug") };
    writersByLogger.set(logger, writers);
  }
  return writers;
}

interface RequestMembers {
  /** `,"uid":…,"namespace":…` */
  readonly uidNamespace: string;
  /** `,"name":"/<name>"`, or `,"name":""` when the request names nothing (Pepr's shape). */
  readonly name: string;
}

// The last request's members: a request's lines are written one after another (one slot rather
// than a WeakMap; a line of another request in between only means serialising again).
let lastRequest: AdmissionRequest | undefined;
let lastMembers: RequestMembers = { uidNamespace: "", name: "" };

function requestMembers(request: AdmissionRequest): RequestMembers {
  if (request !== lastRequest) {
    lastMembers = {
      uidNamespace: `,"uid":${jsonString(request.uid)},"namespace":${jsonString(request.namespace ?? "")}`,
      name: `,"name":${jsonString(request.name ? `/${request.name}` : "")}`,
    };
    lastRequest = request;
  }
  return lastMembers;
}

/** A Secret's patch carries its values: never logged. */
function loggable(request: AdmissionRequest, response: AdmissionResponse): AdmissionResponse {
  if (request.kind.kind !== "Secret" || response.patch === undefined) return response;
  const { patch: _patch, ...rest } = response;
  return rest;
}

/** "Incoming request", as a request reaches the webhook. */
export function logIncoming(logger: Logger, webhook: WebhookKind, request: AdmissionRequest): void {
  if (!logger.isLevelEnabled("info")) return;
  const { uidNamespace, name } = requestMembers(request);
  writersOf(logger).info(
    `${uidNamespace}${name},"gvk":${JSON.stringify(request.kind)},"operation":${jsonString(request.operation)},"admissionKind":${webhook === "mutate" ? '"Mutate"' : '"Validate"'}`,
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
  const info = logger.isLevelEnabled("info");
  const debug = logger.isLevelEnabled("debug");
  if (!info && !debug) return;
  const { uidNamespace, name } = requestMembers(request);
  const writers = writersOf(logger);
  if (info) {
    for (const res of checked)
      writers.info(`${uidNamespace}${name},"res":${responseJson(loggable(request, res))}`, "Check response");
  }
  if (debug) {
    writers.debug(
      `${uidNamespace}${name},"kubeAdmissionResponse":${responseJson(loggable(request, answer))}`,
      "Outgoing response",
    );
  }
}

/** A line about the whole request ("Processing request", "Processing validation request", "No matching actions found"). */
export function logRequestLine(logger: Logger, request: AdmissionRequest, message: string): void {
  if (!logger.isLevelEnabled("info")) return;
  const { uidNamespace, name } = requestMembers(request);
  writersOf(logger).info(`${uidNamespace}${name}`, message);
}

/**
 * A line about one binding's callback, with Pepr's fields: `name` is the capability's. Pepr names the
 * callback by its wrapper's name, so the label is always `mutateCallback` or `validateCallback`.
 */
export function logActionLine(logger: Logger, request: AdmissionRequest, capability: string, message: string): void {
  if (!logger.isLevelEnabled("info")) return;
  writersOf(logger).info(`${requestMembers(request).uidNamespace},"name":${jsonString(capability)}`, message);
}
