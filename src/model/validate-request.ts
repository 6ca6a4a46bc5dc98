import type { KubernetesObject } from "../k8s/index.ts";
import type { AdmissionRequest, ValidateActionResponse } from "./admission-request.ts";
import { cloneJson } from "./json.ts";
import { RequestBase, requestObject } from "./request-base.ts";

/** What a Validate callback receives; it answers with `Approve` or `Deny`. */
export class PeprValidateRequest<T extends KubernetesObject = KubernetesObject> extends RequestBase<T> {
  /** `raw` is the object callbacks see; by default a copy of the request's object. */
  constructor(request: AdmissionRequest<T>, raw?: T) {
    super(request);
    this.Raw = raw ?? cloneJson(requestObject(request));
  }

  protected view(): T {
    return this.Raw;
  }

  Approve(warnings?: string[]): ValidateActionResponse {
    return warnings === undefined ? { allowed: true } : { allowed: true, warnings };
  }

  Deny(statusMessage?: string, statusCode?: number, warnings?: string[]): ValidateActionResponse {
    return { allowed: false, statusCode, statusMessage, warnings };
  }
}
