import type { StoreBackend } from "./backend.ts";
import { SCHEDULE_PREFIX } from "./keys.ts";
import { type PayloadKeys, Store } from "./store.ts";

/** What the store needs of a capability: its name and the two stores the model hands out before start. */
export interface CapabilityStoreSlots {
  readonly name: string;
  readonly Store: { attach(store: Store): void };
  readonly ScheduleStore: { attach(store: Store): void };
}

export interface CapabilityViews {
  /** The capability's `Store`. */
  readonly store: Store;
  /** Its schedule state (`schedule:<capability>/<name>`): pass it to `Scheduler.add`. */
  readonly schedules: Store;
}

/**
 * Gives each capability its views of the module's store and attaches them to the capability's
 * `Store` and `ScheduleStore`. Call once per process, before `backend.start()`.
 */
export function attachCapabilityStores(
  backend: StoreBackend,
  capabilities: readonly CapabilityStoreSlots[],
  options: { payloadKeys?: PayloadKeys } = {},
): Map<string, CapabilityViews> {
  const views = new Map<string, CapabilityViews>();
  for (const capability of capabilities) {
    if (views.has(capability.name)) throw new Error(`two capabilities are named "${capability.name}"`);
    const { payloadKeys } = options;
    const store = new Store(capability.name, { payloadKeys });
    const schedules = new Store(capability.name, { prefix: `${SCHEDULE_PREFIX}${capability.name}`, payloadKeys });
    store.attach(backend);
    schedules.attach(backend);
    capability.Store.attach(store);
    capability.ScheduleStore.attach(schedules);
    views.set(capability.name, { store, schedules });
  }
  return views;
}
