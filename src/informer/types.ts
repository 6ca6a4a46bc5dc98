import type { KubernetesObject, ResolvedKind } from "../k8s/index.ts";

export type InformerEventType = "ADDED" | "MODIFIED" | "DELETED";

/** What a subscriber receives: the object after the change (for DELETED, its last known state) and, for MODIFIED and DELETED, the cached state before it. */
export interface InformerEvent<T extends KubernetesObject = KubernetesObject> {
  readonly type: InformerEventType;
  readonly object: T;
  readonly previous?: T;
}

export type InformerHandler<T extends KubernetesObject = KubernetesObject> = (
  event: InformerEvent<T>,
) => Promise<void> | void;

/** Turns an object from the server into what the cache keeps (return the same object to keep it whole). */
export type Transform = (object: KubernetesObject) => KubernetesObject;

/** Extra lookups the cache maintains: each function returns the index values an object is filed under. */
export type Indexers = Readonly<Record<string, (object: KubernetesObject) => readonly string[]>>;

/** What an informer watches. Informers with equal scopes (and the same client) are one informer. */
export interface InformerScope {
  readonly kind: ResolvedKind;
  /** Omit for every namespace (or for cluster-scoped kinds). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface InformerOptions extends InformerScope {
  /** Default: strip `metadata.managedFields`. `null` keeps objects as the server sent them. */
  readonly transform?: Transform | null;
  readonly indexers?: Indexers;
  /** LIST page size. Default 500. */
  readonly pageSize?: number;
  /**
   * A watch that sends nothing (no event, no bookmark) for this long, counting only time the event
   * loop was free to read it, is stalled: logged, counted, reported by readiness, and reconnected.
   * Default 90 s (the server sends a bookmark about every minute).
   */
  readonly idleTimeoutMs?: number;
  /** Events waiting this long (event-loop time) with no subscriber call completing mark delivery stalled. Default: the idle timeout, at least 30 s. */
  readonly deliveryStallMs?: number;
  /** The server ends each watch after a random time between this and twice this. Default 300 s. */
  readonly minWatchTimeoutSeconds?: number;
  /** Abort a LIST page that has not completed in this time. Default 60 s. */
  readonly requestTimeoutMs?: number;
  /** Stop reading the watch while this many events wait for handlers. Default 1000. */
  readonly maxPendingEvents?: number;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

export type InformerState = "new" | "listing" | "watching" | "backoff" | "stopped";

/** A snapshot of an informer's health, for readiness checks and metrics. */
export interface InformerHealth {
  readonly kind: string;
  readonly namespace: string;
  readonly labelSelector: string;
  readonly fieldSelector: string;
  readonly state: InformerState;
  /** The initial list is in the cache (and was delivered to subscribers). */
  readonly synced: boolean;
  /** Seconds since the server last sent anything (event, bookmark, list page); undefined before the first. */
  readonly lastEventAgeSeconds: number | undefined;
  readonly reconnects: number;
  readonly relists: number;
  /** The delay of the current backoff (0 when not backing off). */
  readonly backoffMs: number;
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
  readonly resourceVersion: string | undefined;
  readonly cachedObjects: number;
  readonly pendingEvents: number;
  readonly subscribers: number;
  /** "stream": the watch is silent and being reconnected; "delivery": events wait and no subscriber call completes. */
  readonly stalled?: "stream" | "delivery" | undefined;
  /** How long the current stall has lasted (0 when none). */
  readonly stalledSeconds?: number;
  /** Stalls detected since the informer started. */
  readonly stalls?: number;
  /** Time the informer's watchdog saw the event loop blocked, in total. */
  readonly eventLoopBlockedSeconds?: number;
}
