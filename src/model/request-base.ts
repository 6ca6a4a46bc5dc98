import type { KubernetesObject } from "../k8s/index.ts";
import { type AdmissionRequest, subjectOf } from "./admission-request.ts";

/** The object a request is about: `object`, or `oldObject` for DELETE; throws when it is missing. */
export function requestObject<T extends KubernetesObject>(request: AdmissionRequest<T>): T {
  const source = subjectOf(request);
  if (!source) throw new Error("Unable to load the request object into PeprRequest.Raw");
  return source;
}

/** What both request wrappers share: the object under review and read-only helpers. */
export abstract class RequestBase<T extends KubernetesObject> {
  readonly Request: AdmissionRequest<T>;

  constructor(request: AdmissionRequest<T>) {
    this.Request = request;
  }

  /**
   * The object under review; writable as in Pepr (a Mutate callback may replace it whole). An own
   * enumerable property of each wrapper, as in Pepr, so logging or serialising a request shows it.
   */
  declare Raw: T;

  /** The object under review for reading only (a Mutate request need not copy it for that). */
  protected abstract view(): T;

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
    return this.view().metadata?.labels?.[key] !== undefined;
  }

  HasAnnotation(key: string): boolean {
    return this.view().metadata?.annotations?.[key] !== undefined;
  }
}
