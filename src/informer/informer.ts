import { EventEmitter } from "node:events";
import type { ApiClient } from "../k8s/api-client.ts";
import type { KubernetesObject } from "../k8s/kinds.ts";
import { Log } from "../telemetry/logger.ts";
import { Backoff } from "./backoff.ts";
import { Distributor } from "./distributor.ts";
import { informerMetrics } from "./metrics.ts";
import { Reflector } from "./reflector.ts";
import { stripManagedFields } from "./transform.ts";
import type { InformerEvent, InformerHandler, InformerHealth, InformerOptions, InformerScope } from "./types.ts";
import { watchClientFor } from "./watch-client.ts";

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
  /** Progress notifications: `list`, `connect`, `bookmark`, `relist`, `reconnect`, `backoff`, `handler_error`, `synced`. */
  readonly events: EventEmitter = new EventEmitter();
  readonly #distributor: Distributor<T>;
  readonly #reflector: Reflector;
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
    });
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
    const transform =
      options.transform === null ? (o: KubernetesObject) => o : (options.transform ?? stripManagedFields);
    this.#reflector = new Reflector(watchClientFor(client), this.scope, {
      pageSize: options.pageSize ?? 500,
      idleTimeoutMs: options.idleTimeoutMs ?? 90_000,
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
    this.#running = Promise.all([this.#reflector.run(this.#abort.signal), this.#distributor.run()]);
  }

  /** Stops the informer for every subscriber and forgets it in the shared registry. */
  async stop(): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#abort.abort();
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
    };
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
