import type { Capability, DeferredStore, PeprStore } from "../model/index.ts";
import { MemoryStore, SCHEDULE_PREFIX, Store } from "../store/index.ts";

type Listener = (data: Record<string, string>) => void;

/**
 * What the kit attaches to a capability's `Store`: a capability's store can be attached only once
 * per process, but every test wants a fresh one, so this forwards to the current test's store and
 * moves subscriptions along when a new test switches it.
 */
class SwitchableStore implements PeprStore {
  #target: Store;
  readonly #subscriptions = new Map<Listener, () => void>();

  constructor(target: Store) {
    this.#target = target;
  }

  switchTo(target: Store): void {
    this.#target = target;
    for (const [listener, unsubscribe] of this.#subscriptions) {
      unsubscribe();
      this.#subscriptions.set(listener, target.subscribe(listener));
    }
  }

  getItem(key: string): string | null {
    return this.#target.getItem(key);
  }
  setItem(key: string, value: string): void {
    this.#target.setItem(key, value);
  }
  removeItem(key: string): void {
    this.#target.removeItem(key);
  }
  clear(): void {
    this.#target.clear();
  }
  setItemAndWait(key: string, value: string): Promise<string> {
    return this.#target.setItemAndWait(key, value);
  }
  removeItemAndWait(key: string): Promise<string> {
    return this.#target.removeItemAndWait(key);
  }
  update(key: string, fn: (current: string | null) => string | null): Promise<string | null> {
    return this.#target.update(key, fn);
  }
  onReady(callback: Listener): void {
    this.#target.onReady(callback);
  }
  subscribe(listener: Listener): () => void {
    this.#subscriptions.set(listener, this.#target.subscribe(listener));
    return () => {
      this.#subscriptions.get(listener)?.();
      this.#subscriptions.delete(listener);
    };
  }
}

const switches = new WeakMap<DeferredStore, SwitchableStore>();

function connect(deferred: DeferredStore, view: Store, owner: string): void {
  const existing = switches.get(deferred);
  if (existing) {
    existing.switchTo(view);
    return;
  }
  if (deferred.attached) {
    throw new Error(
      `the Store of capability ${owner} is already attached to a running module in this process; test it offline in another test file`,
    );
  }
  const switchable = new SwitchableStore(view);
  deferred.attach(switchable);
  switches.set(deferred, switchable);
}

/**
 * Gives every capability's `Store` and `ScheduleStore` the real Store API over `store` (a
 * `MemoryStore`), replacing whatever an earlier test attached. Returns the store.
 */
export function attachMemoryStore(capabilities: readonly Capability[], store = new MemoryStore()): MemoryStore {
  for (const capability of capabilities) {
    const kv = new Store(capability.name);
    kv.attach(store);
    connect(capability.Store, kv, capability.name);
    const scheduleKv = new Store(capability.name, { prefix: `${SCHEDULE_PREFIX}${capability.name}` });
    scheduleKv.attach(store);
    connect(capability.ScheduleStore, scheduleKv, capability.name);
  }
  return store;
}
