import type { KubernetesObject } from "../k8s/kinds.ts";
import type { ValidateActionResponse } from "./admission-request.ts";
import { RequestBase } from "./request-base.ts";

/** What a Validate callback receives; it answers with `Approve` or `Deny`. */
export class PeprValidateRequest<T extends KubernetesObject = KubernetesObject> extends RequestBase<T> {
  Approve(warnings?: string[]): ValidateActionResponse {
    return warnings === undefined ? { allowed: true } : { allowed: true, warnings };
  }

  Deny(statusMessage?: string, statusCode?: number, warnings?: string[]): ValidateActionResponse {
    return { allowed: false, statusCode, statusMessage, warnings };
  }
}
