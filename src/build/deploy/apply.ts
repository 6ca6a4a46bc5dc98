import { parseAllDocuments } from "yaml";
import { CEL_MUTATION_API_MISSING, CEL_POLICY_API_MISSING } from "../../admission/index.ts";
import { FIELD_MANAGER } from "../../contract/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { ApiError, isRetryable } from "../../k8s/index.ts";
import type { KubeObject } from "../manifest-input.ts";
import { describeObject, objectPath } from "./object-paths.ts";

export interface ApplyOptions {
  /** Take over fields another manager owns (server-side apply `force`). */
  readonly force?: boolean;
  /** Validate on the server without persisting (`dryRun=All`). */
  readonly dryRun?: boolean;
  readonly onApplied?: (object: KubeObject) => void;
  /** Default `capstan`; `pepr` for a Pepr-mode module's manifests (see FIELD_MANAGER). */
  readonly fieldManager?: string;
}

/** Parses a multi-document YAML file into objects (empty documents skipped). */
export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`Invalid YAML: ${document.errors[0]?.message}`);
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null && typeof object === "object");
}

/** Server-side applies one object (field manager `capstan` unless told); errors name the object. */
export async function applyObject(
  client: ApiClient,
  object: KubeObject,
  options: ApplyOptions = {},
): Promise<KubeObject> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendApply(client, object, options);
    } catch (error) {
      if (attempt < 4 && isRetryable(error)) {
        const seconds = error instanceof ApiError ? (error.retryAfterSeconds ?? attempt) : attempt;
        await new Promise((resolve) => setTimeout(resolve, Math.min(seconds, 5) * 1000));
        continue;
      }
      const reason = error instanceof ApiError || error instanceof Error ? error.message : String(error);
      const hint =
        error instanceof ApiError && error.status === 409
          ? " (another field manager owns these fields: re-run with --force)"
          : error instanceof ApiError && error.status === 404 && object.kind.startsWith("ValidatingAdmissionPolicy")
            ? ` (${CEL_POLICY_API_MISSING})`
            : error instanceof ApiError && error.status === 404 && object.kind.startsWith("MutatingAdmissionPolicy")
              ? ` (${CEL_MUTATION_API_MISSING})`
              : "";
      throw new Error(`Applying ${describeObject(object)} failed: ${reason}${hint}`);
    }
  }
}

function sendApply(client: ApiClient, object: KubeObject, options: ApplyOptions): Promise<KubeObject> {
  return client.request<KubeObject>({
    method: "PATCH",
    path: objectPath(object),
    query: {
      fieldManager: options.fieldManager ?? FIELD_MANAGER,
      ...(options.force ? { force: true } : {}),
      ...(options.dryRun ? { dryRun: "All" } : {}),
    },
    contentType: "application/apply-patch+yaml",
    body: JSON.stringify(object),
  });
}

/** Applies objects in order (namespaces, CRDs and RBAC first, webhooks last, as `capstan build` writes them). */
export async function applyAll(
  client: ApiClient,
  objects: readonly KubeObject[],
  options: ApplyOptions = {},
): Promise<void> {
  for (const object of objects) {
    await applyObject(client, object, options);
    options.onApplied?.(object);
  }
}
