import type { InformerEvent } from "../../informer/index.ts";
import type { KubernetesObject } from "../../k8s/index.ts";
import { type Binding, describeBinding, type WatchPhase, watchPhasesOf, watchSkipReason } from "../../model/index.ts";
import { bindingLogFields, inSpan, type Logger, tracingEnabled } from "../../telemetry/index.ts";
import { laneOf, type OrderingStrategy, type ReconcileDelivery } from "../ordering.ts";
import { callbackMetrics } from "./callback-metrics.ts";
import type { ObjectSource } from "./object-source.ts";

/** One change of one object, as a binding sees it. */
export interface Change {
  readonly object: KubernetesObject;
  readonly phase: WatchPhase;
}

export interface RunnerContext {
  readonly binding: Binding;
  readonly capabilityNamespaces: readonly string[];
  readonly ignoredNamespaces: readonly string[];
  readonly source: ObjectSource;
  readonly strategy: OrderingStrategy;
  /** What Reconcile callbacks receive: every event in order, or the latest state. */
  readonly reconcileDelivery: ReconcileDelivery;
  readonly logger: Logger;
}

export type Outcome = "ok" | "error" | "skipped" | "kept";

/** What every Watch, Reconcile and Finalize runner shares: filters, keys and callback bookkeeping. */
export abstract class BindingRunner {
  readonly binding: Binding;
  readonly source: ObjectSource;
  protected readonly log: Logger;
  /**
   * `log` without redaction, for the "controller action" line: its fields are capstan's own and none
   * is a redacted path, and redacting cost more CPU than the rest of a Watch event's path.
   */
  readonly #actionLog: Logger;
  readonly #context: RunnerContext;
  readonly #phases: readonly WatchPhase[];

  constructor(context: RunnerContext, phases?: readonly WatchPhase[]) {
    this.#context = context;
    this.binding = context.binding;
    this.source = context.source;
    this.#phases = phases ?? watchPhasesOf(context.binding.event);
    this.log = context.logger.child(bindingLogFields(this.binding));
    this.#actionLog = this.log.child({}, { redact: [] });
  }

  /** Called by the informer for every change of the binding's scope. */
  abstract onEvent(event: InformerEvent): void;

  /** "" when the binding applies to `object` in `phase`, else why not. */
  protected skipReason(object: KubernetesObject, phase: WatchPhase): string {
    if (!this.#phases.includes(phase)) return `phase ${phase} not bound`;
    return watchSkipReason(this.binding, object, this.#context.capabilityNamespaces, this.#context.ignoredNamespaces);
  }

  /** The coalescing key: one per binding and object. */
  protected itemKey(object: KubernetesObject): string {
    return `${describeBinding(this.binding)}|${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
  }

  /** The serialisation lane from the ordering strategy; shared by every binding on the same object. */
  protected laneKey(object: KubernetesObject): string {
    const { kind } = this.binding;
    return laneOf(this.#context.strategy, {
      kind: `${kind.plural}.${kind.group}`,
      namespace: object.metadata?.namespace,
      name: object.metadata?.name ?? "",
    });
  }

  /** The newest state of `object` in the informer cache (undefined once it is gone). */
  protected latest(object: KubernetesObject): KubernetesObject | undefined {
    return this.source.get(object.metadata?.namespace, object.metadata?.name ?? "");
  }

  /** Runs a callback on `object` with timing and outcome metrics and one log line ("controller action"); rethrows its error. */
  protected async timed<R>(
    object: KubernetesObject,
    phase: WatchPhase | undefined,
    callback: () => Promise<R> | R,
    outcome: (result: R) => Outcome = () => "ok",
  ): Promise<R> {
    const { action, alias } = this.binding;
    // Pepr's line, which its Alias docs show.
    if (alias && (action === "watch" || action === "reconcile"))
      this.#context.logger.info(`Executing ${action} action with alias: ${alias}`);
    const labels = { capability: this.binding.capability, binding: this.binding.name, action };
    const stop = callbackMetrics.seconds.startTimer(labels);
    let result: Outcome = "error";
    try {
      const value = tracingEnabled()
        ? await inSpan(
            `controller ${action} ${this.binding.kind.kind}`,
            {
              "capstan.capability": this.binding.capability,
              "capstan.binding": this.binding.name,
              "capstan.action": action,
              ...(phase ? { "capstan.event": phase } : {}),
              ...(object.metadata?.namespace ? { "capstan.object.namespace": object.metadata.namespace } : {}),
              "capstan.object.name": object.metadata?.name ?? "",
            },
            async () => await callback(),
          )
        : await callback();
      result = outcome(value);
      return value;
    } finally {
      callbackMetrics.calls.inc({ ...labels, result });
      const seconds = stop();
      this.#actionLog.info(
        {
          action: this.binding.action,
          phase,
          kind: this.binding.kind.kind,
          namespace: object.metadata?.namespace,
          name: object.metadata?.name,
          result,
          ms: Math.round(seconds * 10_000) / 10,
        },
        "controller action",
      );
    }
  }

  protected skipped(reason: string, object: KubernetesObject): void {
    const { capability, name, action } = this.binding;
    callbackMetrics.calls.inc({ capability, binding: name, action, result: "skipped" });
    this.log.debug({ name: object.metadata?.name, namespace: object.metadata?.namespace, reason }, "skipped");
  }
}
