// `pepr/src/lib/k8s`: the admission response shapes Pepr modules type their `afterHook` with.

import type { WebhookIgnore } from "./pepr-lib-types.ts";

/** A mutating webhook's answer as `afterHook` sees it. */
export interface MutateResponse {
  uid: string;
  allowed: boolean;
  /** Why the request was refused (never consulted when `allowed`). */
  result?: string;
  /** Base64 RFC 6902 patch. */
  patch?: string;
  patchType?: "JSONPatch";
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

/** A validating webhook's answer as `afterHook` sees it. */
export interface ValidateResponse extends MutateResponse {
  status?: { code: number; message: string };
}

/** Where Pepr keeps a module's Store (`PeprStore`, pepr.dev/v1). */
export const peprStoreGVK = { kind: "PeprStore", version: "v1", group: "pepr.dev" } as const;

export type { AdmissionRequest } from "../model/index.ts";
export type { WebhookIgnore };
