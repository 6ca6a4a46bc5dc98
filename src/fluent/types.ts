import type { GroupVersionKind, KubernetesObject, WatchPhase } from "../k8s/index.ts";

/** The optional second argument of `K8s(model, filters)`. */
export interface Filters {
  readonly kindOverride?: GroupVersionKind;
  readonly fields?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly name?: string;
  readonly namespace?: string;
}

export interface KubernetesListObject<K> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: K[];
}

/** One RFC 6902 JSON Patch operation. */
export type Operation =
  | { readonly op: "add" | "replace" | "test"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "move" | "copy"; readonly from: string; readonly path: string }
  // fast-json-patch's `Operation` includes its internal read operation, so `Patch(ops)` accepts that
  // type as it is; the API server refuses `_get` with its own message.
  | { readonly op: "_get"; readonly path: string; readonly value: unknown };

export type PartialDeep<T> = T extends readonly (infer E)[]
  ? PartialDeep<E>[]
  : T extends object
    ? { [P in keyof T]?: PartialDeep<T[P]> }
    : T;

type Depth = [never, 0, 1, 2, 3];
/** Dotted paths into an object type, for field selectors (`metadata.name`, `status.phase`). */
export type Paths<T, D extends number = 3> = [D] extends [never]
  ? never
  : T extends readonly unknown[]
    ? never
    : T extends object
      ? {
          [K in keyof T & string]-?: K | `${K}.${Paths<NonNullable<T[K]>, Depth[D]> & string}`;
        }[keyof T & string]
      : never;

export { WatchPhase } from "../k8s/index.ts";

export type WatchAction<K extends KubernetesObject> = (object: K, phase: WatchPhase) => Promise<void> | void;

/**
 * Pepr's watch settings. capstan never relists or polls on a timer: bookmarks and an idle timeout
 * keep the watch honest instead, so `relistIntervalSec` is accepted and ignored, and so is
 * `resyncFailureMax` (capstan retries forever with backoff and reports its state in health).
 */
export interface WatchCfg {
  /** Initial reconnect backoff in seconds (default 0.5). */
  readonly resyncDelaySec?: number;
  readonly resyncFailureMax?: number;
  readonly relistIntervalSec?: number;
  /** The client idle timeout: no event or bookmark for this long reconnects the watch. Default 90. */
  readonly lastSeenLimitSeconds?: number;
}
