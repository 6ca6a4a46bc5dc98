import type { KubernetesObject } from "../k8s/kinds.ts";
import type { AdmissionRequest } from "./admission-request.ts";
import { cloneJson } from "./json.ts";

/** What both request wrappers share: the object under review and read-only helpers. */
export abstract class RequestBase<T extends KubernetesObject> {
  /** The object under review; writable as in Pepr (a Mutate callback may replace it whole). */
  Raw: T;
  readonly Request: AdmissionRequest<T>;

  /**
   * `raw` is the object callbacks see; by default a copy of `object` (of `oldObject` for DELETE).
   * The admission pipeline passes its own working copy.
   */
  constructor(request: AdmissionRequest<T>, raw?: T) {
    this.Request = request;
    const source = request.operation === "DELETE" ? request.oldObject : request.object;
    const object = raw ?? (source ? cloneJson(source) : undefined);
    if (!object) throw new Error("Unable to load the request object into PeprRequest.Raw");
    this.Raw = object;
  }

  get OldResource(): T | undefined {
    return this.Request.oldObject;
  }

  get IsDryRun(): boolean | undefined {
    return this.Request.dryRun;
  }

  get PermitSideEffects(): boolean {
    return !this.Request.dryRun;
  }

  HasLabel(key: string): boolean {
    return this.Raw.metadata?.labels?.[key] !== undefined;
  }

  HasAnnotation(key: string): boolean {
    return this.Raw.metadata?.annotations?.[key] !== undefined;
  }
}
