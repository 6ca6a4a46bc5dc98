import type { Clock } from "../time/index.ts";

export type StoreListener = (data: Record<string, string>) => void;

/** Computes a key's next value from its current one (null: absent). Return null to remove the key. May run several times. */
export type UpdateFunction = (current: string | null) => string | null;

/**
 * What a capability's `Store` view needs from the machinery that holds the data: the cluster
 * store (`ClusterStore`) in a running module, or `MemoryStore` in unit tests and the test kit.
 * `prefix` is the capability name (or `schedule:<capability>`).
 */
export interface StoreBackend {
  readonly clock: Clock;
  readonly ready: boolean;
  whenReady(): Promise<void>;
  get(prefix: string, key: string): string | null;
  snapshot(prefix: string): Record<string, string>;
  /** Sets (or with null removes) a key; resolves once the change is durable, rejects with `StoreWriteError` if refused for good. */
  write(prefix: string, key: string, value: string | null): Promise<void>;
  /** Atomic read-modify-write of one key; resolves with the value written. */
  update(prefix: string, key: string, fn: UpdateFunction): Promise<string | null>;
  /** Calls `listener` with the prefix's data after every change (coalesced per event-loop turn). */
  listen(prefix: string, listener: StoreListener): () => void;
}
