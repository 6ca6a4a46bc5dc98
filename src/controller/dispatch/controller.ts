import {
  type InformerEvent,
  type InformerOptions,
  type InformerScope,
  scopeKey,
  sharedInformer,
} from "../../informer/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import type { Binding } from "../../model/index.ts";
import { FINALIZER } from "../../model/index.ts";
import { Log, LogField, type Logger } from "../../telemetry/index.ts";
import type { Clock } from "../../time/index.ts";
import { type HealthReport, informerReadiness, type ReadinessOptions } from "../health.ts";
import { DEFAULT_ORDERING_STRATEGY, type OrderingStrategy, type ReconcileDelivery } from "../ordering.ts";
import { NoRetry, type RetryPolicy } from "../retry-policy.ts";
import { WorkQueue } from "../work-queue.ts";
import { FinalizeRunner } from "./finalize-runner.ts";
import type { ObjectSource, SourceFactory } from "./object-source.ts";
import { type QueuedObject, ReconcileRunner } from "./reconcile-runner.ts";
import type { BindingRunner, RunnerContext } from "./runner.ts";
import { scopeOf } from "./scope.ts";
import { mergeWatchItems, type WatchItem, WatchRunner } from "./watch-runner.ts";

/** The part of a capability the controller reads. */
export interface CapabilityBindings {
  readonly name: string;
  readonly namespaces: readonly string[];
  readonly bindings: readonly Binding[];
}

export interface ControllerOptions {
  readonly client: ApiClient;
  readonly capabilities: readonly CapabilityBindings[];
  /** Namespaces no binding ever sees (the module's `alwaysIgnore.namespaces`). */
  readonly ignoredNamespaces?: readonly string[];
  /** Which Reconcile items run in order, one at a time (Pepr's `PEPR_RECONCILE_STRATEGY`). Default `kindNsName`. */
  readonly strategy?: OrderingStrategy;
  /** What Reconcile callbacks receive: `every` event in order (Pepr's), or the latest state (`coalesce`, the default). */
  readonly reconcileDelivery?: ReconcileDelivery;
  /** Callbacks that may run at once (per queue). Default 10. */
  readonly workers?: number;
  /** Retry policy of Reconcile and Finalize. Default exponential backoff (500 ms doubling to 60 s, ±20 %). */
  readonly retry?: RetryPolicy;
  /** The finalizer Finalize bindings manage: the module flavor's (`pepr.dev/finalizer` in Pepr mode). Default capstan's. */
  readonly finalizer?: string;
  /** Where objects come from. Default: the shared informer of each scope. */
  readonly sources?: SourceFactory;
  /** Informer settings (idle timeout, backoff, page size) for informers this controller creates. */
  readonly informer?: Omit<InformerOptions, keyof InformerScope>;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Runs a module's Watch, Reconcile and Finalize bindings. `start()` fills the caches (standbys do
 * this too, so a takeover starts warm); callbacks run only between `activate()` and
 * `deactivate()`, which leader election drives. While inactive, changes still coalesce in the
 * queues (one entry per object), so a replica that takes over handles every object that changed.
 */
export class Controller {
  readonly reconcileQueue: WorkQueue<QueuedObject>;
  readonly watchQueue: WorkQueue<WatchItem>;
  readonly #sources = new Map<string, { source: ObjectSource; runners: BindingRunner[] }>();
  readonly #unsubscribe: (() => void)[] = [];
  #active = false;

  constructor(options: ControllerOptions) {
    const logger = (options.logger ?? Log).child({ [LogField.component]: "controller" });
    const workers = options.workers ?? 10;
    const strategy = options.strategy ?? DEFAULT_ORDERING_STRATEGY;
    const clock = options.clock;
    this.reconcileQueue = new WorkQueue<QueuedObject>({
      name: "reconcile",
      workers,
      paused: true,
      logger,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(clock ? { clock } : {}),
      process: ({ payload }) => payload.runner.run(payload.object, payload.phase),
    });
    this.watchQueue = new WorkQueue<WatchItem>({
      name: "watch",
      workers,
      paused: true,
      logger,
      retry: new NoRetry(),
      merge: mergeWatchItems(() => this.#active),
      ...(clock ? { clock } : {}),
      process: ({ payload }) => payload.runner.run(payload.changes),
    });
    const sourceFor =
      options.sources ??
      ((scope: InformerOptions) => sharedInformer(options.client, { ...options.informer, ...scope }));
    const finalizer = options.finalizer ?? FINALIZER;
    for (const capability of options.capabilities) {
      for (const binding of capability.bindings) {
        const scope = scopeOf(binding, capability.namespaces);
        const key = scopeKey(scope);
        let entry = this.#sources.get(key);
        if (!entry) {
          entry = { source: sourceFor(scope), runners: [] };
          this.#sources.set(key, entry);
        }
        const context: RunnerContext = {
          binding,
          capabilityNamespaces: capability.namespaces,
          ignoredNamespaces: options.ignoredNamespaces ?? [],
          source: entry.source,
          strategy,
          reconcileDelivery: options.reconcileDelivery ?? "coalesce",
          logger,
        };
        const runner = this.#runnerFor(binding, context, options.client, finalizer);
        if (runner) entry.runners.push(runner);
      }
    }
    for (const [key, entry] of this.#sources) if (entry.runners.length === 0) this.#sources.delete(key);
  }

  #runnerFor(
    binding: Binding,
    context: RunnerContext,
    client: ApiClient,
    finalizer: string,
  ): BindingRunner | undefined {
    switch (binding.action) {
      case "watch":
        return new WatchRunner(context, this.watchQueue);
      case "reconcile":
        return new ReconcileRunner(context, this.reconcileQueue);
      case "finalize":
        return new FinalizeRunner(context, this.reconcileQueue, client, finalizer);
      default:
        return undefined;
    }
  }

  /** The informers this controller reads, for readiness. */
  get sources(): ObjectSource[] {
    return [...this.#sources.values()].map((entry) => entry.source);
  }

  /** Ready when every informer is synced and no watch is stale (standbys included: they are warm). */
  readiness(options?: ReadinessOptions): HealthReport {
    return informerReadiness(
      this.sources.map((source) => source.health()),
      options,
    );
  }

  get active(): boolean {
    return this.#active;
  }

  /** Subscribes every binding and starts the informers. Returns at once. */
  start(): void {
    for (const { source, runners } of this.#sources.values()) {
      this.#unsubscribe.push(
        source.subscribe((event: InformerEvent) => {
          for (const runner of runners) runner.onEvent(event);
        }),
      );
      source.start();
    }
  }

  /** Resolves when every informer holds its initial list. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.sources.map((source) => source.waitForSync(signal)));
  }

  /** Starts running callbacks (this replica leads). */
  activate(): void {
    this.#active = true;
    this.reconcileQueue.resume();
    this.watchQueue.resume();
  }

  /** Stops starting callbacks and waits for running ones (leadership lost or shutting down). */
  async deactivate(): Promise<void> {
    this.#active = false;
    this.reconcileQueue.pause();
    this.watchQueue.pause();
    await Promise.all([this.reconcileQueue.idle(), this.watchQueue.idle()]);
  }

  /** Unsubscribes and drops the queues. The shared informers stay up for their other users. */
  async stop(): Promise<void> {
    this.#active = false;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await Promise.all([this.reconcileQueue.shutDown(), this.watchQueue.shutDown()]);
  }
}
