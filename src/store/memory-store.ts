import { type Clock, systemClock } from "../controller/clock.ts";
import type { StoreBackend, StoreListener, UpdateFunction } from "./backend.ts";
import { dataKey, validateValue } from "./keys.ts";
import { StoreViews } from "./views.ts";

/**
 * A store that lives in this process only: for unit tests and the test kit (schedules under a
 * fake clock). Writes are durable the moment they are made; `update` is trivially atomic.
 */
export class MemoryStore implements StoreBackend {
  readonly clock: Clock;
  readonly ready = true;
  readonly #views: StoreViews;
  /** Set to make every later write fail with this error (to test failure handling). */
  failWrites: Error | undefined;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock;
    this.#views = new StoreViews(this.clock);
  }

  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  get(prefix: string, key: string): string | null {
    return this.#views.get(prefix, key);
  }

  snapshot(prefix: string): Record<string, string> {
    return this.#views.snapshot(prefix);
  }

  listen(prefix: string, listener: StoreListener): () => void {
    return this.#views.listen(prefix, listener);
  }

  async write(prefix: string, key: string, value: string | null): Promise<void> {
    if (this.failWrites) throw this.failWrites;
    this.#views.set(dataKey(prefix, key), value ?? undefined);
  }

  async update(prefix: string, key: string, fn: UpdateFunction): Promise<string | null> {
    if (this.failWrites) throw this.failWrites;
    const next = fn(this.get(prefix, key));
    if (next !== null) validateValue("update", key, next);
    this.#views.set(dataKey(prefix, key), next ?? undefined);
    return next;
  }
}
