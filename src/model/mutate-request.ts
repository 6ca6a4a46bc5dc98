import type { KubernetesObject } from "../k8s/index.ts";
import type { AdmissionRequest } from "./admission-request.ts";
import { RequestBase, requestObject } from "./request-base.ts";
import { WorkingObject } from "./working-object.ts";

/** Recursively optional, for `Merge`. */
export type DeepPartial<T> = { [P in keyof T]?: T[P] extends object ? DeepPartial<T[P]> : T[P] };

/**
 * What a Mutate callback receives: change `Raw` (directly or with the helpers) and capstan patches
 * the request. The helpers copy only what they change; `Raw` is a full copy made on first use.
 */
export class PeprMutateRequest<T extends KubernetesObject = KubernetesObject> extends RequestBase<T> {
  readonly #working: WorkingObject<T>;

  /**
   * Works on a copy of `object` (of `oldObject` for DELETE). The admission pipeline passes the
   * working object it shares between callbacks; a plain `raw` object is used as the copy itself.
   */
  constructor(request: AdmissionRequest<T>, raw?: T | WorkingObject<T>) {
    super(request);
    const source = requestObject(request);
    const working =
      raw instanceof WorkingObject ? raw : raw ? WorkingObject.ofCopy(source, raw) : new WorkingObject(source);
    this.#working = working;
    Object.defineProperty(this, "Raw", PeprMutateRequest.#rawProperty);
  }

  /** `Raw` as an own enumerable accessor; one descriptor shared by every request keeps them one shape. */
  static readonly #rawProperty: PropertyDescriptor = {
    enumerable: true,
    get(this: PeprMutateRequest) {
      return this.#working.raw();
    },
    set(this: PeprMutateRequest, value: KubernetesObject) {
      this.#working.replace(value);
    },
  };

  protected view(): T {
    return this.#working.peek();
  }

  /** Deep-merges `obj` into `Raw` (objects merge, arrays and scalars replace). */
  Merge(obj: DeepPartial<T>): void {
    this.#working.merge(obj as Record<string, unknown>);
  }

  SetLabel(key: string, value: string): this {
    this.#working.setEntry("labels", key, value);
    return this;
  }

  SetAnnotation(key: string, value: string): this {
    this.#working.setEntry("annotations", key, value);
    return this;
  }

  RemoveLabel(key: string): this {
    this.#working.removeEntry("labels", key);
    return this;
  }

  RemoveAnnotation(key: string): this {
    this.#working.removeEntry("annotations", key);
    return this;
  }
}
