import { setTimeout as sleep } from "node:timers/promises";
import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import {
  type ApiStatus,
  apiErrorFor,
  GoneError,
  resourcePath,
  TooManyRequestsError,
  watchEvents,
} from "../k8s/index.ts";
import type { Backoff } from "../time/index.ts";
import { listAll } from "./list.ts";
import type { InformerScope, InformerState } from "./types.ts";
import type { StallWatchdog } from "./watchdog.ts";

/** Where the reflector puts what it learns; each call may wait (backpressure). */
export interface ReflectorSink {
  /** A full LIST: the cache becomes exactly these objects. */
  replace(items: KubernetesObject[]): Promise<void>;
  event(type: "ADDED" | "MODIFIED" | "DELETED", object: KubernetesObject): Promise<void>;
}

export interface ReflectorOptions {
  readonly pageSize: number;
  /** Judges the watch stream's silence and aborts a silent connection. */
  readonly watchdog: StallWatchdog;
  readonly minWatchTimeoutSeconds: number;
  readonly requestTimeoutMs: number;
  readonly backoff: Backoff;
  readonly sink: ReflectorSink;
  readonly transform: (object: KubernetesObject) => KubernetesObject;
  /** Progress notifications: list, connect, watching, bookmark, relist, reconnect, backoff. */
  readonly notify: (event: string, ...args: unknown[]) => void;
  readonly random?: () => number;
}

export interface ReflectorStatus {
  readonly state: InformerState;
  readonly resourceVersion: string | undefined;
  readonly lastSeenAt: number | undefined;
  readonly reconnects: number;
  readonly relists: number;
  readonly backoffMs: number;
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
}

/**
 * What a failed LIST or WATCH calls for: "relist" at once for 410 Gone (the resourceVersion is
 * gone), at least the server's Retry-After for 429, else the next exponential backoff delay (ms).
 */
export function recoveryFor(error: unknown, backoff: Backoff): number | "relist" {
  if (error instanceof GoneError) return "relist";
  if (error instanceof TooManyRequestsError) return backoff.nextAfter(error.retryAfterSeconds ?? 1);
  return backoff.next();
}

/**
 * Keeps a sink in step with the API server: paginated LIST, then WATCH from the list's
 * resourceVersion with bookmarks and a randomised server timeout; resumes from the last
 * resourceVersion on every disconnect, relists on 410 Gone, honours 429 Retry-After and backs off
 * with jitter on anything else, forever, until the signal aborts.
 */
export class Reflector {
  readonly #client: ApiClient;
  readonly #scope: InformerScope;
  readonly #options: ReflectorOptions;
  #state: InformerState = "new";
  #resourceVersion: string | undefined;
  #lastSeenAt: number | undefined;
  #reconnects = 0;
  #relists = 0;
  #backoffMs = 0;
  #lastError: string | undefined;

  constructor(client: ApiClient, scope: InformerScope, options: ReflectorOptions) {
    this.#client = client;
    this.#scope = scope;
    this.#options = options;
  }

  status(): ReflectorStatus {
    return {
      state: this.#state,
      resourceVersion: this.#resourceVersion,
      lastSeenAt: this.#lastSeenAt,
      reconnects: this.#reconnects,
      relists: this.#relists,
      backoffMs: this.#backoffMs,
      consecutiveFailures: this.#options.backoff.failures,
      lastError: this.#lastError,
    };
  }

  async run(signal: AbortSignal): Promise<void> {
    let listed = false;
    let watched = false;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          if (listed) {
            this.#relists++;
            this.#options.notify("relist");
          }
          this.#state = "listing";
          await this.#list(signal);
          listed = true;
          needList = false;
        }
        if (watched) {
          this.#reconnects++;
          this.#options.notify("reconnect");
        }
        watched = true;
        this.#state = "watching";
        needList = await this.#watch(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#lastError = error instanceof Error ? error.message : String(error);
        // A 410 from the LIST itself is not cured by listing again at once: back off instead.
        const delay =
          needList && error instanceof GoneError
            ? this.#options.backoff.next()
            : recoveryFor(error, this.#options.backoff);
        if (delay === "relist") {
          needList = true;
          continue;
        }
        this.#state = "backoff";
        this.#backoffMs = delay;
        this.#options.notify("backoff", delay, error);
        await sleep(delay, undefined, { signal }).catch(() => {});
        this.#backoffMs = 0;
      }
    }
    this.#state = "stopped";
  }

  async #list(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await listAll(this.#client, this.#scope, {
      pageSize: this.#options.pageSize,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      signal,
      onPage: () => this.#seen(),
    });
    await this.#options.sink.replace(items.map(this.#options.transform));
    this.#resourceVersion = resourceVersion;
    this.#options.backoff.reset();
    this.#options.notify("list", items.length, resourceVersion);
  }

  /** One watch connection; returns true when the server said the resourceVersion is gone (relist). */
  async #watch(signal: AbortSignal): Promise<boolean> {
    const min = this.#options.minWatchTimeoutSeconds;
    const random = this.#options.random ?? Math.random;
    const watchdog = this.#options.watchdog;
    const path = resourcePath(this.#scope.kind, { namespace: this.#scope.namespace });
    const connection = new AbortController();
    const request = {
      path,
      query: {
        resourceVersion: this.#resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: min + Math.floor(random() * min),
        labelSelector: this.#scope.labelSelector || undefined,
        fieldSelector: this.#scope.fieldSelector || undefined,
      },
      signal: AbortSignal.any([signal, connection.signal]),
    };
    this.#options.notify("connect", this.#resourceVersion);
    watchdog.watchOpening(connection);
    try {
      const events = watchEvents<KubernetesObject>(this.#client, request, () => {
        watchdog.watchOpened();
        this.#options.notify("watching", this.#resourceVersion);
      });
      for await (const event of events) {
        watchdog.streamProgress();
        this.#seen();
        if (event.type === "ERROR") {
          const status = event.object as ApiStatus;
          if (status.code === 410) return true;
          throw apiErrorFor({ status: status.code ?? 500, method: "WATCH", path, body: status });
        }
        const object = event.object as KubernetesObject;
        const resourceVersion = object.metadata?.resourceVersion;
        if (event.type !== "BOOKMARK") {
          watchdog.holding(true);
          await this.#options.sink.event(event.type, this.#options.transform(object));
          watchdog.holding(false);
        } else this.#options.notify("bookmark", resourceVersion);
        if (resourceVersion) this.#resourceVersion = resourceVersion;
        this.#options.backoff.reset();
        this.#lastError = undefined;
      }
      return false;
    } catch (error) {
      if (connection.signal.aborted && !signal.aborted) throw connection.signal.reason;
      throw error;
    } finally {
      watchdog.watchClosed();
    }
  }

  #seen(): void {
    this.#lastSeenAt = Date.now();
  }
}
