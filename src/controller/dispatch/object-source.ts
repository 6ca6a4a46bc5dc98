import type { InformerHandler, InformerHealth, InformerOptions } from "../../informer/index.ts";
import type { KubernetesObject } from "../../k8s/index.ts";

/**
 * What the dispatch needs from an informer. `Informer` satisfies it; the test kit can hand in
 * its own to drive Watch/Reconcile/Finalize without a cluster.
 */
export interface ObjectSource {
  subscribe(handler: InformerHandler<KubernetesObject>): () => void;
  start(): void;
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** The latest cached object, read when an item runs (level-triggered). */
  get(namespace: string | undefined, name: string): KubernetesObject | undefined;
  health(): InformerHealth;
}

/** Returns the one source for a scope; equal scopes must return the same source. */
export type SourceFactory = (scope: InformerOptions) => ObjectSource;
