import { Log } from "../telemetry/index.ts";
import type { StoreBackend, StoreListener, UpdateFunction } from "./backend.ts";
import { SCHEDULE_PREFIX, StoreInputError, validateKey, validatePrefix, validateValue } from "./keys.ts";
import { peprPayload } from "./pepr-layout.ts";

/** How `subscribe` and `onReady` callbacks see keys: as written, or as Pepr shows them (`v2-<key>`). */
export type PayloadKeys = "plain" | "pepr";

/** How long `setItemAndWait`/`removeItemAndWait` wait for the API server's acknowledgement (Pepr's MAX_WAIT_TIME). */
export const MAX_WAIT_TIME_MS = 15_000;

/**
 * A capability's view of the module's store, with Pepr's Web-Storage API. Reads come from this
 * process's replica (and see this process's own writes at once); writes are sent to the API
 * server straight away, as per-key JSON-patch operations. Values are strings.
 *
 * A `Store` exists as soon as its capability does; the runtime attaches it to the module's store
 * when the process starts. Until then `getItem` returns null and writes throw.
 */
export class Store {
  readonly capability: string;
  readonly #prefix: string;
  readonly #pendingSubscribers = new Set<StoreListener>();
  readonly #detach = new Map<StoreListener, () => void>();
  readonly #readyCallbacks: StoreListener[] = [];
  readonly #payload: (data: Readonly<Record<string, string>>) => Record<string, string>;
  #backend: StoreBackend | undefined;

  /** `prefix` is for capstan's own views (schedule state); capabilities use their name. */
  constructor(capability: string, options: { prefix?: string; payloadKeys?: PayloadKeys } = {}) {
    if (typeof capability !== "string" || capability === "") {
      throw new StoreInputError("a Store needs the name of its capability");
    }
    if (options.prefix === undefined && capability.startsWith(SCHEDULE_PREFIX)) {
      throw new StoreInputError(`capability names may not start with "${SCHEDULE_PREFIX}" (reserved for schedules)`);
    }
    this.#prefix = options.prefix ?? capability;
    validatePrefix(this.#prefix);
    this.#payload = options.payloadKeys === "pepr" ? peprPayload : (data) => data;
    this.capability = capability;
  }

  /** Connects the view to the module's store. Called once by the runtime (or the test kit). */
  attach(backend: StoreBackend): void {
    if (this.#backend) throw new Error(`Store already registered for ${this.capability}`);
    this.#backend = backend;
    for (const listener of this.#pendingSubscribers) this.#detach.set(listener, backend.listen(this.#prefix, listener));
    this.#pendingSubscribers.clear();
    const callbacks = this.#readyCallbacks.splice(0);
    if (callbacks.length > 0) void backend.whenReady().then(() => this.#fireReady(callbacks));
  }

  get attached(): boolean {
    return this.#backend !== undefined;
  }

  /** The value of `key` on this replica, or null. Synchronous. */
  getItem(key: string): string | null {
    validateKey("getItem", key);
    return this.#backend?.get(this.#prefix, key) ?? null;
  }

  /** Sets `key`; the write is sent at once and retried until acknowledged. Use `setItemAndWait` to know when it is durable. */
  setItem(key: string, value: string): void {
    validateKey("setItem", key);
    validateValue("setItem", key, value);
    this.#forget(this.#running("setItem").write(this.#prefix, key, value));
  }

  removeItem(key: string): void {
    validateKey("removeItem", key);
    this.#forget(this.#running("removeItem").write(this.#prefix, key, null));
  }

  /** Removes every key of this capability that this replica knows of (keys other replicas wrote but we have not yet seen survive). */
  clear(): void {
    const backend = this.#running("clear");
    for (const key of Object.keys(backend.snapshot(this.#prefix))) this.#forget(backend.write(this.#prefix, key, null));
  }

  /** Resolves "ok" once the API server has stored the value; rejects with the reason if it refuses it. */
  setItemAndWait(key: string, value: string): Promise<string> {
    validateKey("setItemAndWait", key);
    validateValue("setItemAndWait", key, value);
    return this.#wait(key, this.#running("setItemAndWait").write(this.#prefix, key, value));
  }

  /** Resolves "ok" once the removal is stored (also when the key was absent). */
  removeItemAndWait(key: string): Promise<string> {
    validateKey("removeItemAndWait", key);
    return this.#wait(key, this.#running("removeItemAndWait").write(this.#prefix, key, null));
  }

  /**
   * Atomic read-modify-write of one key, for counters and sets where last-writer-wins would lose
   * updates: `fn` gets the stored value (null when absent) and returns the new one (null removes
   * the key). If another writer changed the key in between, `fn` runs again on the newer value,
   * so it must not have side effects. Resolves with the value written.
   */
  update(key: string, fn: UpdateFunction): Promise<string | null> {
    validateKey("update", key);
    if (typeof fn !== "function")
      throw new StoreInputError(`Store.update("${key}"): the second argument must be a function`);
    return this.#running("update").update(this.#prefix, key, fn);
  }

  /** Calls `listener` with all of this capability's data after each change. Returns the unsubscribe function. */
  subscribe(subscriber: StoreListener): () => void {
    if (typeof subscriber !== "function") throw new StoreInputError("Store.subscribe needs a function");
    const payload = this.#payload;
    const listener: StoreListener = (data) => subscriber(payload(data));
    if (this.#backend) this.#detach.set(listener, this.#backend.listen(this.#prefix, listener));
    else this.#pendingSubscribers.add(listener);
    return () => {
      this.#pendingSubscribers.delete(listener);
      this.#detach.get(listener)?.();
      this.#detach.delete(listener);
    };
  }

  /** Calls `callback` once with this capability's data when the replica has loaded (at once if it already has). */
  onReady(callback: StoreListener): void {
    if (typeof callback !== "function") throw new StoreInputError("Store.onReady needs a function");
    const backend = this.#backend;
    if (!backend) {
      this.#readyCallbacks.push(callback);
      return;
    }
    void backend.whenReady().then(() => this.#fireReady([callback]));
  }

  #fireReady(callbacks: StoreListener[]): void {
    for (const callback of callbacks) {
      try {
        callback(this.#payload(this.#backend?.snapshot(this.#prefix) ?? {}));
      } catch (error) {
        Log.warn({ err: error, capability: this.capability }, "a Store onReady callback threw");
      }
    }
  }

  #running(operation: string): StoreBackend {
    if (!this.#backend) {
      throw new Error(
        `Store.${operation} was called for capability "${this.capability}" before the module started; use the Store in actions or in Store.onReady`,
      );
    }
    return this.#backend;
  }

  /** Fire-and-forget writes: a refusal is logged (by the backend) and must not become an unhandled rejection. */
  #forget(write: Promise<void>): void {
    write.catch(() => {});
  }

  async #wait(key: string, write: Promise<void>): Promise<string> {
    const clock = this.#running("wait").clock;
    let timer: ReturnType<typeof clock.setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(
        () =>
          reject(
            new Error(
              `MAX_WAIT_TIME elapsed: Key ${key} not acknowledged in ${MAX_WAIT_TIME_MS / 1000}s; the write stays queued and is retried`,
            ),
          ),
        MAX_WAIT_TIME_MS,
      );
    });
    try {
      await Promise.race([write, timeout]);
      return "ok";
    } finally {
      if (timer) clock.clearTimeout(timer);
    }
  }
}
