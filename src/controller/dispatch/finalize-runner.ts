import type { InformerEvent } from "../../informer/index.ts";
import type { ApiClient, KubernetesObject } from "../../k8s/index.ts";
import type { ProcessResult, WorkQueue } from "../work-queue.ts";
import type { QueuedObject } from "./reconcile-runner.ts";
import { removeFinalizer } from "./remove-finalizer.ts";
import { BindingRunner, type RunnerContext } from "./runner.ts";

/** `<namespace>/<name>`, or `ClusterScoped/<name>`: how Pepr's finalizer log lines name an object. */
function finalizedResource(object: KubernetesObject): string {
  return `${object.metadata?.namespace || "ClusterScoped"}/${object.metadata?.name}`;
}

/**
 * `.Finalize(cb)`: once an object carrying the module's finalizer (`pepr.dev/finalizer` in Pepr mode,
 * also on objects Pepr itself left) has a deletionTimestamp, runs `cb` with the latest object and
 * then removes the finalizer, with Pepr's debug lines "Removing/Removed finalizer '…' from '…'".
 * Returning `false` keeps it (Pepr's debug line "Skipping removal of finalizer '…' from '…'"); a throw is retried with backoff, never silently dropped. Objects
 * already being deleted when the controller starts are finalized too (they arrive as ADDED).
 */
export class FinalizeRunner extends BindingRunner {
  readonly #queue: WorkQueue<QueuedObject>;
  readonly #client: ApiClient;
  readonly #finalizer: string;

  constructor(context: RunnerContext, queue: WorkQueue<QueuedObject>, client: ApiClient, finalizer: string) {
    super(context, ["ADDED", "MODIFIED"]);
    this.#queue = queue;
    this.#client = client;
    this.#finalizer = finalizer;
  }

  onEvent({ type, object }: InformerEvent): void {
    if (!this.#pending(object) || this.skipReason(object, type)) return;
    this.#queue.add(this.itemKey(object), { runner: this, object, phase: type }, this.laneKey(object));
  }

  async run(queued: KubernetesObject): Promise<ProcessResult> {
    const callback = this.binding.finalizeCallback;
    const object = this.latest(queued);
    if (!callback || !object || !this.#pending(object)) return;
    const reason = this.skipReason(object, "MODIFIED");
    if (reason) return this.skipped(reason, object);
    const keep = await this.timed(
      object,
      undefined,
      () => callback(object, this.log),
      (result) => (result === false ? "kept" : "ok"),
    );
    const where = { name: object.metadata?.name, namespace: object.metadata?.namespace };
    const resource = finalizedResource(object);
    if (keep === false) {
      this.log.info(where, "Finalize returned false; keeping the finalizer");
      this.log.debug(where, `Skipping removal of finalizer '${this.#finalizer}' from '${resource}'`);
      return;
    }
    this.log.debug(where, `Removing finalizer '${this.#finalizer}' from '${resource}'`);
    const removal = await removeFinalizer(this.#client, this.binding.kind, object, this.#finalizer);
    if (removal === "removed") this.log.debug(where, `Removed finalizer '${this.#finalizer}' from '${resource}'`);
    else this.log.debug({ ...where, removal }, `Finalizer '${this.#finalizer}' was already off '${resource}'`);
  }

  #pending(object: KubernetesObject): boolean {
    return Boolean(object.metadata?.deletionTimestamp) && (object.metadata?.finalizers ?? []).includes(this.#finalizer);
  }
}
