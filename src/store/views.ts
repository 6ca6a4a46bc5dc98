import { Log } from "../telemetry/index.ts";
import type { Clock, TimerHandle } from "../time/index.ts";
import type { StoreListener } from "./backend.ts";
import { splitDataKey } from "./keys.ts";

/**
 * Microseconds of CPU this thread has used. The spacing of subscriber calls follows the CPU their
 * rounds cost, not the wall time: on a busy machine wall time counts other processes' turns, and
 * spacing by it left subscribers of a big store silent for most of a second. Node 22 has no
 * per-thread figure; the process's CPU is the nearest there.
 */
/** Subscriber calls under a stream of changes take at most 1/(1 + this) of the thread's CPU. */
const SPACING_FACTOR = 10;

function cpuMicros(): number {
  const usage = typeof process.threadCpuUsage === "function" ? process.threadCpuUsage() : process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * The data each capability sees, kept per prefix as entries change, and the subscribers told about
 * it. Subscribers get the prefix's full data (like Pepr's subscribe), so notifying costs O(keys):
 * changes in one event-loop turn give one call, and under a stream of changes calls are spaced by
 * ten times the CPU the last round of calls cost, which keeps subscribers of big stores from
 * eating the process while small stores notify at once.
 */
export class StoreViews {
  readonly #clock: Clock;
  readonly #data = new Map<string, Map<string, string>>();
  readonly #listeners = new Map<string, Set<StoreListener>>();
  readonly #dirty = new Set<string>();
  #timer: TimerHandle | undefined;
  #quietUntil = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get(prefix: string, key: string): string | null {
    return this.#data.get(prefix)?.get(key) ?? null;
  }

  snapshot(prefix: string): Record<string, string> {
    return Object.fromEntries(this.#data.get(prefix) ?? []);
  }

  /** Records an entry's visible value (undefined: absent). Entries that are not `<prefix>/<key>` are ignored. */
  set(entry: string, value: string | undefined): void {
    const parts = splitDataKey(entry);
    if (!parts) return;
    const data = this.#data.get(parts.prefix);
    if (data?.get(parts.key) === value) return;
    if (value === undefined) {
      if (!data?.delete(parts.key)) return;
    } else if (data) {
      data.set(parts.key, value);
    } else {
      this.#data.set(parts.prefix, new Map([[parts.key, value]]));
    }
    if (this.#listeners.get(parts.prefix)?.size) this.#markDirty(parts.prefix);
  }

  listen(prefix: string, listener: StoreListener): () => void {
    const listeners = this.#listeners.get(prefix) ?? new Set<StoreListener>();
    this.#listeners.set(prefix, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  #markDirty(prefix: string): void {
    this.#dirty.add(prefix);
    this.#timer ??= this.#clock.setTimeout(() => this.#notify(), Math.max(0, this.#quietUntil - this.#clock.now()));
  }

  #notify(): void {
    this.#timer = undefined;
    const started = cpuMicros();
    const prefixes = [...this.#dirty];
    this.#dirty.clear();
    for (const prefix of prefixes) {
      // One frozen snapshot per change, shared by the prefix's subscribers.
      const data = Object.freeze(this.snapshot(prefix));
      for (const listener of this.#listeners.get(prefix) ?? []) {
        try {
          listener(data);
        } catch (error) {
          Log.warn({ err: error, capability: prefix }, "a Store subscriber threw; it stays subscribed");
        }
      }
    }
    this.#quietUntil = this.#clock.now() + Math.min(1000, (SPACING_FACTOR * (cpuMicros() - started)) / 1000);
  }
}

/** The read side every backend shares: the per-capability views and their subscribers. */
export abstract class ViewBackedStore {
  readonly clock: Clock;
  protected readonly views: StoreViews;

  constructor(clock: Clock) {
    this.clock = clock;
    this.views = new StoreViews(clock);
  }

  get(prefix: string, key: string): string | null {
    return this.views.get(prefix, key);
  }

  snapshot(prefix: string): Record<string, string> {
    return this.views.snapshot(prefix);
  }

  listen(prefix: string, listener: StoreListener): () => void {
    return this.views.listen(prefix, listener);
  }
}
