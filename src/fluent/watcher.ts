import { EventEmitter } from "node:events";
import type { Informer, InformerScope } from "../informer/index.ts";
import { sharedInformer } from "../informer/index.ts";
import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import type { WatchAction, WatchCfg } from "./types.ts";

/** Informer notifications re-emitted on `Watcher.events`, under the names Pepr's watcher uses where one exists. */
const forwarded: Readonly<Record<string, string>> = {
  list: "list",
  connect: "connect",
  stalled: "stalled",
  recovered: "recovered",
  reconnect: "reconnect",
  relist: "old_resource_version",
  backoff: "reconnect_pending",
  bookmark: "bookmark",
  handler_error: "data_error",
  synced: "synced",
};

/**
 * `K8s(kind).Watch(cb)`: a subscription to the shared informer for the filter's scope, so any number
 * of watches on one kind and selector cost one LIST+WATCH. Emits `data` for each delivered change.
 */
export class Watcher<K extends KubernetesObject> {
  readonly events: EventEmitter = new EventEmitter();
  readonly #client: () => Promise<ApiClient>;
  readonly #scope: InformerScope;
  readonly #callback: WatchAction<K>;
  readonly #cfg: WatchCfg;
  readonly #abort = new AbortController();
  #informer: Informer<K> | undefined;
  #cleanup: (() => void)[] = [];
  /** This watch started the shared informer, so it may stop it when the last subscriber leaves. */
  #ownsInformer = false;

  constructor(client: () => Promise<ApiClient>, scope: InformerScope, callback: WatchAction<K>, cfg: WatchCfg = {}) {
    this.#client = client;
    this.#scope = scope;
    this.#callback = callback;
    this.#cfg = cfg;
    this.events.on("error", () => {});
  }

  /**
   * Starts watching and resolves once the API server has accepted the watch (as Pepr's watcher
   * resolves after its LIST and WATCH request), so a change made after `await start()` reaches the
   * callback as an event even if the caller then blocks the event loop. The initial objects are
   * delivered afterwards (`waitForSync` waits for them). The returned controller's `abort()` is the
   * same as `close()`.
   */
  async start(): Promise<AbortController> {
    if (this.#informer) return this.#abort;
    const informer = sharedInformer<K>(await this.#client(), {
      ...this.#scope,
      idleTimeoutMs: this.#cfg.lastSeenLimitSeconds === undefined ? undefined : this.#cfg.lastSeenLimitSeconds * 1000,
      backoff: this.#cfg.resyncDelaySec === undefined ? undefined : { initialMs: this.#cfg.resyncDelaySec * 1000 },
    });
    this.#informer = informer;
    this.#ownsInformer = !informer.started;
    for (const [from, to] of Object.entries(forwarded)) {
      const relay = (...args: unknown[]) => this.events.emit(to, ...args);
      informer.events.on(from, relay);
      this.#cleanup.push(() => informer.events.off(from, relay));
    }
    this.#cleanup.push(
      informer.subscribe((event) => {
        this.events.emit("data", event.object, event.type);
        return this.#callback(event.object, event.type);
      }),
    );
    this.#abort.signal.addEventListener("abort", () => this.close(), { once: true });
    informer.start();
    await informer.waitForWatch(this.#abort.signal).catch(() => {});
    return this.#abort;
  }

  /** Resolves once the initial list has been delivered to the callback. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    if (!this.#informer) throw new Error("call start() before waitForSync()");
    await this.#informer.waitForSync(signal);
  }

  /** Stops this watch; the shared informer stops too if this watch started it and no one else subscribes to it. */
  close(): void {
    for (const undo of this.#cleanup.splice(0)) undo();
    const informer = this.#informer;
    if (informer && this.#ownsInformer && informer.subscriberCount === 0) void informer.stop();
    if (!this.#abort.signal.aborted) this.#abort.abort();
    this.events.emit("abort");
  }
}
