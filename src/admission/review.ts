import type { Operation } from "../model/index.ts";
import { type AdmissionRequest, type AdmissionResponse, isPlainObject, subjectField } from "../model/index.ts";

export const ADMISSION_API_VERSIONS = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] as const;
const operations = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

export type ParsedReview =
  | { readonly ok: true; readonly apiVersion: string; readonly request: AdmissionRequest }
  | { readonly ok: false; readonly message: string };

function fail(message: string): ParsedReview {
  return { ok: false, message };
}

function isGvk(value: unknown): boolean {
  return (
    isPlainObject(value) &&
    typeof value.kind === "string" &&
    typeof value.version === "string" &&
    typeof value.group === "string"
  );
}

/** Checks a parsed body is an AdmissionReview with a usable request; the message says what is wrong. */
export function readAdmissionReview(body: unknown): ParsedReview {
  if (!isPlainObject(body)) return fail("body must be a JSON object (an AdmissionReview)");
  const { apiVersion, kind, request } = body;
  if (typeof apiVersion !== "string" || !(ADMISSION_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    return fail(`apiVersion must be admission.k8s.io/v1 (got ${JSON.stringify(apiVersion) ?? "nothing"})`);
  }
  if (kind !== "AdmissionReview")
    return fail(`kind must be AdmissionReview (got ${JSON.stringify(kind) ?? "nothing"})`);
  if (!isPlainObject(request)) return fail("request is missing: an AdmissionReview sent for review needs a request");
  if (typeof request.uid !== "string" || request.uid === "") return fail("request.uid is missing or empty");
  if (typeof request.operation !== "string" || !operations.has(request.operation)) {
    return fail(
      `request.operation must be CREATE, UPDATE, DELETE or CONNECT (got ${JSON.stringify(request.operation) ?? "nothing"})`,
    );
  }
  if (!isGvk(request.kind)) return fail("request.kind must be an object with group, version and kind");
  const field = subjectField(request.operation as Operation);
  if (request.operation !== "CONNECT" && !isPlainObject(request[field])) {
    return fail(`request.${field} is missing for ${request.operation}`);
  }
  return { ok: true, apiVersion, request: request as unknown as AdmissionRequest };
}

// The last answer serialised: Pepr's "Check response" line serialises the answer just before the
// reply does. One slot rather than a WeakMap (whose entries cost the garbage collector more); an
// answer of another request in between only means serialising again.
let lastResponse: AdmissionResponse | undefined;
let lastJson = "";

/**
 * An answer as JSON, serialised once for the "Check response" line and the reply. The answer must
 * not change after its first call (it is final once the engine returns it).
 */
export function responseJson(response: AdmissionResponse): string {
  if (response !== lastResponse) {
    lastJson = JSON.stringify(response);
    lastResponse = response;
  }
  return lastJson;
}

/** Serialises an answer as the API server expects it (the bytes of `JSON.stringify({ apiVersion, kind, response })`). */
export function admissionReviewJson(apiVersion: string, response: AdmissionResponse): string {
  return `{"apiVersion":${JSON.stringify(apiVersion)},"kind":"AdmissionReview","response":${responseJson(response)}}`;
}
