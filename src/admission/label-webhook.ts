// The shard label webhook's answer (`/label/<apiPath>`, see webhook-config.ts): always allowed, with a
// JSON patch adding the labels the labeller names and the object lacks.
import type { AdmissionRequest, AdmissionResponse } from "../model/index.ts";
import type { Logger } from "../telemetry/index.ts";

/** The labels an object should carry on admission (the runtime wires the shard ring in); undefined: none. */
export type ObjectLabeller = (request: AdmissionRequest) => Readonly<Record<string, string>> | undefined;

interface Labelled {
  metadata?: { labels?: Record<string, string> };
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

export function labelResponse(
  request: AdmissionRequest,
  labeller: ObjectLabeller | undefined,
  logger: Logger,
): AdmissionResponse {
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  const object = request.object as Labelled | undefined;
  if (!labeller || !object || typeof object !== "object") return response;
  let labels: Readonly<Record<string, string>> | undefined;
  try {
    labels = labeller(request);
  } catch (error) {
    // Best effort: the object is admitted unlabelled and the assigner labels it.
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, "label webhook: no label given");
    return response;
  }
  const current = object.metadata?.labels;
  const missing = Object.entries(labels ?? {}).filter(([key]) => current?.[key] === undefined);
  if (missing.length === 0) return response;
  const operations = !object.metadata
    ? [{ op: "add", path: "/metadata", value: { labels: Object.fromEntries(missing) } }]
    : !current
      ? [{ op: "add", path: "/metadata/labels", value: Object.fromEntries(missing) }]
      : missing.map(([key, value]) => ({ op: "add", path: `/metadata/labels/${escapePointer(key)}`, value }));
  response.patchType = "JSONPatch";
  response.patch = Buffer.from(JSON.stringify(operations)).toString("base64");
  return response;
}
