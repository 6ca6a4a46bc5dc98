import { type Clock, systemClock } from "../time/index.ts";
import type { StoreBackend, UpdateFunction } from "./backend.ts";
import { dataKey, validateValue } from "./keys.ts";
import { ViewBackedStore } from "./views.ts";

/**
 * A store that lives in this process only: for unit tests and the test kit (schedules under a
 * fake clock). Writes are durable the moment they are made; `update` is trivially atomic.
 */
export class MemoryStore extends ViewBackedStore implements StoreBackend {
  readonly ready = true;
  /** Set to make every later write fail with this error (to test failure handling). */
  failWrites: Error | undefined;

  constructor(options: { clock?: Clock } = {}) {
    super(options.clock ?? systemClock);
  }

  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  async write(prefix: string, key: string, value: string | null): Promise<void> {
    if (this.failWrites) throw this.failWrites;
    this.views.set(dataKey(prefix, key), value ?? undefined);
  }

  async update(prefix: string, key: string, fn: UpdateFunction): Promise<string | null> {
    if (this.failWrites) throw this.failWrites;
    const next = fn(this.get(prefix, key));
    if (next !== null) validateValue("update", key, next);
    this.views.set(dataKey(prefix, key), next ?? undefined);
    return next;
  }
}
