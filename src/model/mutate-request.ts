import type { KubernetesObject } from "../k8s/kinds.ts";
import { mergeDeepInto } from "./json.ts";
import { RequestBase } from "./request-base.ts";

/** Recursively optional, for `Merge`. */
export type DeepPartial<T> = { [P in keyof T]?: T[P] extends object ? DeepPartial<T[P]> : T[P] };

/** What a Mutate callback receives: change `Raw` (directly or with the helpers) and capstan patches the request. */
export class PeprMutateRequest<T extends KubernetesObject = KubernetesObject> extends RequestBase<T> {
  /** Deep-merges `obj` into `Raw` (objects merge, arrays and scalars replace). */
  Merge(obj: DeepPartial<T>): void {
    mergeDeepInto(this.Raw as Record<string, unknown>, obj as Record<string, unknown>);
  }

  SetLabel(key: string, value: string): this {
    const metadata = this.#metadata();
    metadata.labels = { ...metadata.labels, [key]: value };
    return this;
  }

  SetAnnotation(key: string, value: string): this {
    const metadata = this.#metadata();
    metadata.annotations = { ...metadata.annotations, [key]: value };
    return this;
  }

  RemoveLabel(key: string): this {
    const labels = this.Raw.metadata?.labels;
    if (labels?.[key]) delete labels[key];
    return this;
  }

  RemoveAnnotation(key: string): this {
    const annotations = this.Raw.metadata?.annotations;
    if (annotations?.[key]) delete annotations[key];
    return this;
  }

  #metadata(): NonNullable<KubernetesObject["metadata"]> {
    this.Raw.metadata ??= {};
    return this.Raw.metadata;
  }
}
