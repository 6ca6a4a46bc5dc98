import type { ScheduleDefinition } from "./schedule.ts";
/** A capability's key-value store (Pepr's Web-Storage-like `PeprStore`). */
export interface PeprStore {
  getItem(key: string): string | null;
  clear(): void;
  removeItem(key: string): void;
  setItem(key: string, value: string): void;
  subscribe(listener: (data: Record<string, string>) => void): () => void;
  onReady(callback: (data: Record<string, string>) => void): void;
  setItemAndWait(key: string, value: string): Promise<string>;
  removeItemAndWait(key: string): Promise<string>;
  /**
   * capstan's addition: an atomic read-modify-write of one key. `fn` gets the stored value (null
   * when absent) and returns the new one (null removes it); it is retried if another writer won.
   */
  update(key: string, fn: (current: string | null) => string | null): Promise<string | null>;
}

type Listener = (data: Record<string, string>) => void;

/**
 * The `Store` a capability hands out at load time, before any engine runs. Subscriptions and
 * `onReady` callbacks made early are kept and passed on when the store engine calls `attach`;
 * reads return null and writes throw until then.
 */
export class DeferredStore implements PeprStore {
  readonly #owner: string;
  #backend: PeprStore | undefined;
  #pendingReady: Listener[] = [];
  #pendingSubscribers: { listener: Listener; unsubscribe?: () => void; cancelled: boolean }[] = [];

  constructor(owner: string) {
    this.#owner = owner;
  }

  get attached(): boolean {
    return this.#backend !== undefined;
  }

  /** Connects the real store; throws if one is already attached. */
  attach(backend: PeprStore): void {
    if (this.#backend) throw new Error(`Store already registered for ${this.#owner}`);
    this.#backend = backend;
    for (const callback of this.#pendingReady) backend.onReady(callback);
    for (const pending of this.#pendingSubscribers) {
      if (!pending.cancelled) pending.unsubscribe = backend.subscribe(pending.listener);
    }
    this.#pendingReady = [];
  }

  #running(operation: string): PeprStore {
    if (!this.#backend) throw new Error(`Store of capability ${this.#owner} is not running yet (${operation})`);
    return this.#backend;
  }

  getItem(key: string): string | null {
    return this.#backend ? this.#backend.getItem(key) : null;
  }
  clear(): void {
    this.#running("clear").clear();
  }
  removeItem(key: string): void {
    this.#running("removeItem").removeItem(key);
  }
  setItem(key: string, value: string): void {
    this.#running("setItem").setItem(key, value);
  }
  setItemAndWait(key: string, value: string): Promise<string> {
    return this.#running("setItemAndWait").setItemAndWait(key, value);
  }
  removeItemAndWait(key: string): Promise<string> {
    return this.#running("removeItemAndWait").removeItemAndWait(key);
  }
  update(key: string, fn: (current: string | null) => string | null): Promise<string | null> {
    return this.#running("update").update(key, fn);
  }
  onReady(callback: Listener): void {
    if (this.#backend) this.#backend.onReady(callback);
    else this.#pendingReady.push(callback);
  }
  subscribe(listener: Listener): () => void {
    if (this.#backend) return this.#backend.subscribe(listener);
    const pending: { listener: Listener; unsubscribe?: () => void; cancelled: boolean } = {
      listener,
      cancelled: false,
    };
    this.#pendingSubscribers.push(pending);
    return () => {
      pending.cancelled = true;
      pending.unsubscribe?.();
    };
  }
}

/** `OnSchedule`'s argument: Pepr's interval schedule, or (beyond Pepr) a cron expression in a time zone. */
export type Schedule = ScheduleDefinition;
