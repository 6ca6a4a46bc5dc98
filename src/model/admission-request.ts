import type { KubernetesObject } from "../k8s/index.ts";
import type { Operation } from "./events.ts";

export interface GroupVersionKindRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: string[];
  readonly extra?: Record<string, string[]>;
}

/** `request` of an admission.k8s.io/v1 AdmissionReview (Pepr's `AdmissionRequest`). */
export interface AdmissionRequest<T = KubernetesObject> {
  readonly uid: string;
  readonly kind: GroupVersionKindRef;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  readonly requestKind?: GroupVersionKindRef;
  readonly requestResource?: GroupVersionResource;
  readonly requestSubResource?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo: UserInfo;
  readonly object: T;
  readonly oldObject?: T;
  readonly dryRun?: boolean;
  readonly options?: unknown;
}

/** Where a review carries the object it is about: `oldObject` for DELETE (the API server sends no `object` then), else `object`. */
export function subjectField(operation: Operation): "object" | "oldObject" {
  return operation === "DELETE" ? "oldObject" : "object";
}

/** The object an admission request is about (see `subjectField`); undefined when the review lacks it. */
export function subjectOf<T>(request: Pick<AdmissionRequest<T>, "operation" | "object" | "oldObject">): T | undefined {
  return request[subjectField(request.operation)];
}

/** What a Validate callback returns (Pepr's `ValidateActionResponse`). */
export interface ValidateActionResponse {
  allowed: boolean;
  statusCode?: number;
  statusMessage?: string;
  warnings?: string[];
}

/** `response` of an AdmissionReview, as capstan answers and as `afterHook` sees it. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  patch?: string;
  patchType?: "JSONPatch";
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}
