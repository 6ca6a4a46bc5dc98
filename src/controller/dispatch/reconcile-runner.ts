import type { InformerEvent } from "../../informer/index.ts";
import type { KubernetesObject } from "../../k8s/index.ts";
import type { WatchPhase } from "../../model/index.ts";
import type { ProcessResult, ReconcileResult, WorkQueue } from "../work-queue.ts";
import { BindingRunner, type RunnerContext } from "./runner.ts";

/** What Reconcile and Finalize put in the shared queue: a change of one object (the latest one, when changes coalesce). */
export interface QueuedObject {
  readonly runner: { run(object: KubernetesObject, phase: WatchPhase): Promise<ProcessResult> };
  readonly object: KubernetesObject;
  readonly phase: WatchPhase;
}

/**
 * `.Reconcile(cb)`, in one of two deliveries (`RunnerContext.reconcileDelivery`):
 *
 * - `every` (Pepr's): each event runs the callback once with the object and phase it carried, in
 *   the order of its lane (the ordering strategy's queue), one at a time per lane. A throw is logged
 *   as Pepr logs it and not retried; the lane goes on with the next event.
 * - `coalesce` (capstan's): changes of one object merge; when the item runs, the callback gets the
 *   object as it is in the cache *now* (level-triggered), so it never works on a stale version. A
 *   throw is retried with backoff.
 *
 * In both, returning `{ requeueAfter }` runs it again later.
 */
export class ReconcileRunner extends BindingRunner {
  readonly #queue: WorkQueue<QueuedObject>;
  readonly #every: boolean;

  constructor(context: RunnerContext, queue: WorkQueue<QueuedObject>) {
    super(context);
    this.#queue = queue;
    this.#every = context.reconcileDelivery === "every";
  }

  onEvent({ type, object }: InformerEvent): void {
    if (this.skipReason(object, type)) return;
    const item = { runner: this, object, phase: type };
    if (this.#every) this.#queue.append(this.itemKey(object), item, this.laneKey(object));
    else this.#queue.add(this.itemKey(object), item, this.laneKey(object));
  }

  run(queued: KubernetesObject, queuedPhase: WatchPhase): Promise<ProcessResult> {
    return this.#every ? this.#runEvent(queued, queuedPhase) : this.#runLatest(queued, queuedPhase);
  }

  async #runEvent(object: KubernetesObject, phase: WatchPhase): Promise<ProcessResult> {
    const callback = this.binding.watchCallback;
    if (!callback) return;
    const reason = this.skipReason(object, phase);
    if (reason) return this.skipped(reason, object);
    try {
      return requeueOf(await this.timed(object, phase, () => callback(object, phase, this.log)));
    } catch (error) {
      this.log.error(
        { err: error instanceof Error ? error.message : String(error), name: object.metadata?.name, phase },
        "Error executing watch callback",
      );
      return undefined;
    }
  }

  async #runLatest(queued: KubernetesObject, queuedPhase: WatchPhase): Promise<ProcessResult> {
    const callback = this.binding.watchCallback;
    if (!callback) return;
    const current = this.latest(queued);
    // Gone from the cache: only a DELETED change is delivered, with the last state seen.
    if (!current && queuedPhase !== "DELETED") return this.skipped("object is gone", queued);
    const object = current ?? queued;
    const phase = current && queuedPhase === "DELETED" ? "ADDED" : queuedPhase;
    const reason = this.skipReason(object, phase);
    if (reason) return this.skipped(reason, object);
    const result = await this.timed(object, phase, () => callback(object, phase, this.log));
    return requeueOf(result);
  }
}

/** Reads `{ requeueAfter }` from whatever a callback returned. */
function requeueOf(result: unknown): ReconcileResult | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const requeueAfter = (result as ReconcileResult).requeueAfter;
  return typeof requeueAfter === "number" && requeueAfter >= 0 ? { requeueAfter } : undefined;
}
