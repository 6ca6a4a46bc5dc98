import type { InformerEvent } from "../../informer/index.ts";
import type { WorkQueue } from "../work-queue.ts";
import { BindingRunner, type Change, type RunnerContext } from "./runner.ts";

/** A Watch binding's pending changes of one object, delivered in order. */
export interface WatchItem {
  readonly runner: WatchRunner;
  readonly changes: readonly Change[];
}

/**
 * `.Watch(cb)`: every matching change, in order per object, one callback at a time per object,
 * objects in parallel. A failing callback is logged (Pepr's "Error executing watch callback"),
 * counted and not retried, as in Pepr; use Reconcile's coalescing delivery for retries.
 */
export class WatchRunner extends BindingRunner {
  readonly #queue: WorkQueue<WatchItem>;

  constructor(context: RunnerContext, queue: WorkQueue<WatchItem>) {
    super(context);
    this.#queue = queue;
  }

  onEvent({ type, object }: InformerEvent): void {
    if (this.skipReason(object, type)) return;
    const key = this.itemKey(object);
    this.#queue.add(key, { runner: this, changes: [{ object, phase: type }] }, key);
  }

  async run(changes: readonly Change[]): Promise<void> {
    const callback = this.binding.watchCallback;
    if (!callback) return;
    for (const { object, phase } of changes) {
      try {
        await this.timed(object, phase, () => callback(object, phase, this.log));
      } catch (error) {
        this.log.error(
          { err: error instanceof Error ? error.message : String(error), name: object.metadata?.name, phase },
          "Error executing watch callback",
        );
      }
    }
  }
}

/** Concatenates changes while the replica leads; a standby keeps only each object's latest change. */
export function mergeWatchItems(isActive: () => boolean) {
  return (pending: WatchItem, incoming: WatchItem): WatchItem => ({
    runner: incoming.runner,
    changes: isActive() ? [...pending.changes, ...incoming.changes] : incoming.changes,
  });
}
