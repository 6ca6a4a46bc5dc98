import { EventEmitter } from "node:events";
import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import { Log } from "../telemetry/index.ts";
import { Backoff } from "../time/index.ts";
import { Distributor } from "./distributor.ts";
import { informerMetrics } from "./metrics.ts";
import { Reflector } from "./reflector.ts";
import { stripManagedFields } from "./transform.ts";
import type { InformerEvent, InformerHandler, InformerHealth, InformerOptions, InformerScope } from "./types.ts";
import { watchClientFor } from "./watch-client.ts";
import { type StallKind, StallWatchdog } from "./watchdog.ts";

/**
 * A reflector filling a cache, and one delivery loop handing each change to every subscriber in
 * order. The cache is updated by the delivery loop just before the change is delivered, so
 * `get`/`list` never run ahead of what subscribers have been told, and a late subscriber's replay
 * (ADDED for everything cached) is consistent with the events that follow it.
 *
 * Obtain informers through `sharedInformer()` so that every user of a scope shares one.
 */
export class Informer<T extends KubernetesObject = KubernetesObject> {
  readonly scope: InformerScope;
  /**
   * Progress notifications: `list`, `connect`, `watching` (the server accepted a watch), `bookmark`,
   * `relist`, `reconnect`, `backoff`, `handler_error`, `synced`, `stalled` and `recovered` (with the
   * stall kind and its duration in ms).
   */
  readonly events: EventEmitter = new EventEmitter();
  readonly #distributor: Distributor<T>;
  readonly #reflector: Reflector;
  readonly #watchdog: StallWatchdog;
  readonly #watching: Promise<void>;
  #markWatching!: () => void;
  #stalls = 0;
  readonly #abort = new AbortController();
  readonly #synced: Promise<void>;
  #markSynced!: () => void;
  #running: Promise<unknown> | undefined;
  #onStop: (() => void) | undefined;

  constructor(client: ApiClient, options: InformerOptions, onStop?: () => void) {
    this.scope = {
      kind: options.kind,
      namespace: options.kind.namespaced ? options.namespace : undefined,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    this.#onStop = onStop;
    this.events.on("error", () => {});
    this.#distributor = new Distributor<T>({
      capacity: options.maxPendingEvents ?? 1000,
      indexers: options.indexers,
      onHandlerError: (error, event) => this.#handlerFailed(error, event),
      onSynced: () => {
        this.#markSynced();
        this.#notify("synced");
      },
      onProgress: () => this.#watchdog.delivered(),
    });
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
    this.#watching = new Promise((resolve) => {
      this.#markWatching = resolve;
    });
    const idleTimeoutMs = options.idleTimeoutMs ?? 90_000;
    this.#watchdog = new StallWatchdog({
      idleTimeoutMs,
      deliveryStallMs: options.deliveryStallMs ?? Math.max(idleTimeoutMs, 30_000),
      pending: () => this.#distributor.pending,
      onStall: (kind, silentMs) => this.#stalled(kind, silentMs),
      onRecover: (kind, stalledMs) => this.#recovered(kind, stalledMs),
    });
    const transform =
      options.transform === null ? (o: KubernetesObject) => o : (options.transform ?? stripManagedFields);
    this.#reflector = new Reflector(watchClientFor(client), this.scope, {
      pageSize: options.pageSize ?? 500,
      watchdog: this.#watchdog,
      minWatchTimeoutSeconds: options.minWatchTimeoutSeconds ?? 300,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      backoff: new Backoff(options.backoff),
      transform,
      sink: this.#distributor.sink,
      notify: (event, ...args) => this.#notify(event, ...args),
    });
  }

  /** Starts listing and watching (idempotent). Returns at once; use `waitForSync` to wait for the cache. */
  start(): void {
    if (this.#abort.signal.aborted) {
      throw new Error(`the ${this.#describe()} informer was stopped; get a new one from sharedInformer()`);
    }
    if (this.#running) return;
    informerMetrics.track(this);
    this.#watchdog.start();
    this.#running = Promise.all([this.#reflector.run(this.#abort.signal), this.#distributor.run()]);
  }

  /**
   * Resolves once the informer has listed and the API server has accepted its watch, so every
   * change made after this resolves reaches subscribers as an event, however long the event loop is
   * blocked afterwards. Also resolves when a LIST or WATCH attempt fails (the informer keeps
   * retrying; see `health()`), and rejects if the signal aborts first or the informer stops.
   */
  async waitForWatch(signal?: AbortSignal): Promise<void> {
    const aborted = AbortSignal.any([this.#abort.signal, ...(signal ? [signal] : [])]);
    await new Promise<void>((resolve, reject) => {
      const fail = () => reject(new Error(`stopped waiting for the ${this.#describe()} informer to watch`));
      if (aborted.aborted) return fail();
      aborted.addEventListener("abort", fail, { once: true });
      this.#watching.then(() => {
        aborted.removeEventListener("abort", fail);
        resolve();
      });
    });
  }

  /** Stops the informer for every subscriber and forgets it in the shared registry. */
  async stop(): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#abort.abort();
      this.#watchdog.stop();
      this.#distributor.close();
      informerMetrics.untrack(this);
      this.#onStop?.();
    }
    await this.#running;
  }

  /** Whether `start()` has been called (and `stop()` not yet). */
  get started(): boolean {
    return this.#running !== undefined && !this.#abort.signal.aborted;
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /**
   * Adds a handler; it receives every later change in order. If the informer already has objects,
   * the handler first gets an ADDED for each of them. Returns the unsubscribe function.
   */
  subscribe(handler: InformerHandler<T>): () => void {
    return this.#distributor.subscribe(handler);
  }

  get subscriberCount(): number {
    return this.#distributor.subscriberCount;
  }

  /** Resolves once the initial list is cached and delivered; rejects if the signal aborts first or the informer stops. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#distributor.synced) return;
    const aborted = AbortSignal.any([this.#abort.signal, ...(signal ? [signal] : [])]);
    await new Promise<void>((resolve, reject) => {
      const fail = () =>
        reject(
          new Error(
            `stopped waiting for the ${this.#describe()} informer to sync: ${this.#health().lastError ?? "aborted"}`,
          ),
        );
      if (aborted.aborted) return fail();
      aborted.addEventListener("abort", fail, { once: true });
      this.#synced.then(() => {
        aborted.removeEventListener("abort", fail);
        resolve();
      });
    });
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#distributor.cache.get(this.scope.kind.namespaced ? namespace : undefined, name);
  }

  /** Cached objects, all or of one namespace. */
  list(namespace?: string): T[] {
    return this.#distributor.cache.list(namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.#distributor.cache.byIndex(indexName, value);
  }

  health(): InformerHealth {
    return this.#health();
  }

  #health(): InformerHealth {
    const status = this.#reflector.status();
    return {
      kind: this.scope.kind.kind,
      namespace: this.scope.namespace ?? "",
      labelSelector: this.scope.labelSelector ?? "",
      fieldSelector: this.scope.fieldSelector ?? "",
      state: this.#abort.signal.aborted ? "stopped" : status.state,
      synced: this.#distributor.synced,
      lastEventAgeSeconds: status.lastSeenAt === undefined ? undefined : (Date.now() - status.lastSeenAt) / 1000,
      reconnects: status.reconnects,
      relists: status.relists,
      backoffMs: status.backoffMs,
      consecutiveFailures: status.consecutiveFailures,
      lastError: status.lastError,
      resourceVersion: status.resourceVersion,
      cachedObjects: this.#distributor.cache.size,
      pendingEvents: this.#distributor.pending,
      subscribers: this.#distributor.subscriberCount,
      stalled: this.#abort.signal.aborted ? undefined : this.#watchdog.stalled,
      stalledSeconds: this.#watchdog.stalledMs() / 1000,
      stalls: this.#stalls,
      eventLoopBlockedSeconds: this.#watchdog.blockedMs / 1000,
    };
  }

  #stalled(kind: StallKind, silentMs: number): void {
    this.#stalls++;
    const health = this.#health();
    informerMetrics.stall(health, kind);
    const seconds = Number((silentMs / 1000).toFixed(1));
    const scope = this.#describe();
    if (kind === "stream") {
      Log.warn(
        { scope, silentSeconds: seconds, resourceVersion: health.resourceVersion },
        "informer watch stalled: nothing from the API server (not even its periodic bookmark) while the event loop was free; reconnecting from the last resourceVersion",
      );
    } else {
      Log.warn(
        { scope, waitingSeconds: seconds, pendingEvents: health.pendingEvents },
        "informer delivery stalled: events are waiting and no subscriber call has completed",
      );
    }
    this.#notify("stalled", kind, silentMs);
  }

  #recovered(kind: StallKind, stalledMs: number): void {
    informerMetrics.recovered(this.#health(), kind, stalledMs / 1000);
    Log.info(
      { scope: this.#describe(), kind, stalledSeconds: Number((stalledMs / 1000).toFixed(1)) },
      "informer recovered from a stall",
    );
    this.#notify("recovered", kind, stalledMs);
  }

  #handlerFailed(error: unknown, event: InformerEvent<T>): void {
    informerMetrics.handlerError(this.#health());
    const meta = event.object.metadata;
    Log.warn(
      { err: error, kind: this.scope.kind.kind, namespace: meta?.namespace, name: meta?.name, type: event.type },
      "informer handler failed",
    );
    this.events.emit("handler_error", error, event);
  }

  #notify(event: string, ...args: unknown[]): void {
    if (event === "watching" || event === "backoff") this.#markWatching();
    if (event === "reconnect") informerMetrics.reconnect(this.#health());
    if (event === "relist") informerMetrics.relist(this.#health());
    if (event === "backoff") {
      const error = args[1];
      Log.debug({ kind: this.scope.kind.kind, delayMs: args[0], error: String(error) }, "informer backing off");
    }
    this.events.emit(event, ...args);
  }

  #describe(): string {
    const { kind, namespace, labelSelector, fieldSelector } = this.scope;
    return [
      kind.kind,
      namespace && `namespace=${namespace}`,
      labelSelector && `labels=${labelSelector}`,
      fieldSelector && `fields=${fieldSelector}`,
    ]
      .filter(Boolean)
      .join(" ");
  }
}
