import type { InformerEvent } from "../../informer/index.ts";
import type { KubernetesObject } from "../../k8s/kinds.ts";
import type { WatchPhase } from "../../model/events.ts";
import type { ProcessResult, ReconcileResult, WorkQueue } from "../work-queue.ts";
import { BindingRunner, type RunnerContext } from "./runner.ts";

/** What Reconcile and Finalize put in the shared queue: the latest change seen for one object. */
export interface QueuedObject {
  readonly runner: { run(object: KubernetesObject, phase: WatchPhase): Promise<ProcessResult> };
  readonly object: KubernetesObject;
  readonly phase: WatchPhase;
}

/**
 * `.Reconcile(cb)`: changes of one object coalesce; when the item runs, the callback gets the
 * object as it is in the cache *now* (level-triggered), so it never works on a stale version.
 * A throw is retried with backoff; returning `{ requeueAfter }` runs it again later.
 */
export class ReconcileRunner extends BindingRunner {
  readonly #queue: WorkQueue<QueuedObject>;

  constructor(context: RunnerContext, queue: WorkQueue<QueuedObject>) {
    super(context);
    this.#queue = queue;
  }

  onEvent({ type, object }: InformerEvent): void {
    if (this.skipReason(object, type)) return;
    this.#queue.add(this.itemKey(object), { runner: this, object, phase: type }, this.laneKey(object));
  }

  async run(queued: KubernetesObject, queuedPhase: WatchPhase): Promise<ProcessResult> {
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
