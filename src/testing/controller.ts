import type { CapabilityBindings, OrderingStrategy, ReconcileDelivery } from "../controller/index.ts";
import {
  Controller,
  ExponentialBackoff,
  type ExponentialBackoffOptions,
  type RetryPolicy,
} from "../controller/index.ts";
import type { KubernetesObject } from "../k8s/index.ts";
import type { Capability, ModuleConfig, WatchPhase } from "../model/index.ts";
import { type Binding, describeBinding, flavorOf, namesOf, watchIgnoredNamespaces } from "../model/index.ts";
import { Leadership, Scheduler } from "../schedule/index.ts";
import type { MemoryStore } from "../store/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { FakeClock, settle } from "../time/index.ts";
import { admissionTester } from "./admission.ts";
import { durationMs } from "./duration.ts";
import { expectAllowed } from "./expect.ts";
import { MemoryCluster } from "./memory-cluster.ts";
import { attachMemoryStore } from "./memory-store.ts";
import { type ModuleUnderTest, moduleUnderTest, type TestTarget } from "./module-under-test.ts";
import { type ObjectInput, toObject } from "./objects.ts";

/** One run of a Watch, Reconcile or Finalize callback. */
export interface CallbackCall {
  /** `<capability>/<binding name>[ (<alias>)]`, or `<capability>/schedule <name>`. */
  readonly binding: string;
  readonly action: "watch" | "reconcile" | "finalize" | "schedule";
  /** The phase the callback got (Finalize and schedules: none). */
  readonly phase: WatchPhase | undefined;
  /** `namespace/name` of the object ("" for a schedule). */
  readonly object: string;
  /** The object's resourceVersion as the callback saw it. */
  readonly resourceVersion: string | undefined;
  /** Fake milliseconds since the tester started. */
  readonly atMs: number;
  /** `kept`: a Finalize returned false. `running`: not finished yet. */
  readonly outcome: "running" | "ok" | "error" | "kept";
  readonly error?: string;
}

export interface ControllerTesterOptions {
  /** Overrides of a bare capability's module config. */
  readonly config?: Partial<ModuleConfig>;
  /** Retry of a throwing Reconcile/Finalize. Default: exponential from 500 ms, doubling, no jitter (predictable times). */
  readonly retry?: RetryPolicy | ExponentialBackoffOptions;
  readonly clock?: FakeClock;
  /** The store behind every capability's `Store`. Default: a fresh `MemoryStore` on the fake clock. */
  readonly store?: MemoryStore;
  /** Objects in the cluster before the controller starts (delivered as ADDED, like an informer's first list). */
  readonly objects?: readonly ObjectInput[];
  /** Run `apply`ed objects through the module's admission first (mutations land, a denial throws). Default false. */
  readonly admission?: boolean;
  readonly workers?: number;
  readonly strategy?: OrderingStrategy;
  /** What Reconcile receives, as the runtime decides it: `every` event for a Pepr module, `coalesce` for a capstan one. */
  readonly reconcileDelivery?: ReconcileDelivery;
  /** Default: silent. */
  readonly logger?: Logger;
}

export interface ControllerTester {
  readonly module: ModuleUnderTest;
  readonly clock: FakeClock;
  readonly cluster: MemoryCluster;
  readonly controller: Controller;
  readonly store: MemoryStore;
  /** Every callback run so far, in start order. */
  readonly calls: readonly CallbackCall[];
  /** The calls of bindings whose description starts with `binding` (`capability/`, `capability/1-reconcile-pod`), or of one action. */
  callsOf(binding: string): CallbackCall[];
  /** Creates or updates an object and lets the callbacks it triggers run. */
  apply(object: ObjectInput): Promise<KubernetesObject>;
  /** Deletes an object (with finalizers: sets deletionTimestamp) and lets the callbacks run. */
  delete(object: ObjectInput): Promise<void>;
  /** Moves the fake clock (ms or `2s`, `1m`), firing retries and requeues that fall due. */
  advance(time: number | string): Promise<void>;
  /** Waits until no callback runs or can start without the clock moving. */
  settle(): Promise<void>;
  /** Stops the controller and schedules; `apply`, `delete`, `advance` and `settle` throw from then on. */
  stop(): Promise<void>;
}

const actions = new Set(["watch", "reconcile", "finalize"]);

type Recorder = (call: CallbackCall) => (update: Partial<CallbackCall>) => void;

/** Runs a callback, recording its start and outcome; rethrows what it throws. */
async function observed<R>(
  record: Recorder,
  call: Omit<CallbackCall, "atMs" | "outcome">,
  run: () => Promise<R> | R,
): Promise<R> {
  const finish = record({ ...call, atMs: 0, outcome: "running" });
  try {
    const result = await run();
    finish({ outcome: call.action === "finalize" && result === false ? "kept" : "ok" });
    return result;
  } catch (error) {
    finish({ outcome: "error", error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}

function recording(binding: Binding, record: Recorder): Binding {
  const call = (object: KubernetesObject, phase: WatchPhase | undefined) => ({
    binding: describeBinding(binding),
    action: binding.action as CallbackCall["action"],
    phase,
    object: `${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata?.name ?? ""}`,
    resourceVersion: object.metadata?.resourceVersion,
  });
  const { watchCallback, finalizeCallback } = binding;
  if (binding.action === "finalize" && finalizeCallback) {
    return {
      ...binding,
      finalizeCallback: (object, logger) =>
        observed(record, call(object, undefined), () => finalizeCallback(object, logger)),
    };
  }
  if (watchCallback) {
    return {
      ...binding,
      watchCallback: (object, phase, logger) =>
        observed(record, call(object, phase), () => watchCallback(object, phase, logger)),
    };
  }
  return binding;
}

/** Runs the capabilities' `OnSchedule` jobs on the fake clock, as the leader, recording each run. */
function scheduler(capabilities: readonly Capability[], clock: FakeClock, logger: Logger, record: Recorder): Scheduler {
  const scheduler = new Scheduler({ leader: new Leadership(true), identity: "capstan-test", clock, logger });
  for (const capability of capabilities) {
    for (const schedule of capability.schedules) {
      const call = {
        binding: `${capability.name}/schedule ${schedule.name}`,
        action: "schedule" as const,
        phase: undefined,
        object: "",
        resourceVersion: undefined,
      };
      scheduler.add(
        capability.name,
        { ...schedule, run: (signal: AbortSignal) => observed(record, call, () => schedule.run(signal)) },
        capability.ScheduleStore,
      );
    }
  }
  return scheduler;
}

/**
 * The module's real Watch/Reconcile/Finalize dispatch (the `Controller`: filters, queues,
 * coalescing, retries, finalizer removal) over an in-memory cluster and a fake clock, with a
 * `MemoryStore` behind every capability's `Store`, and its `OnSchedule` jobs on the same clock. Nothing runs until a test applies objects or
 * moves the clock.
 */
export function controllerTester(target: TestTarget, options: ControllerTesterOptions = {}): ControllerTester {
  const module = moduleUnderTest(target, options.config);
  const clock = options.clock ?? new FakeClock();
  const startedAt = clock.now();
  const store = attachMemoryStore(module.capabilities, options.store);
  const cluster = new MemoryCluster({ clock, module });
  const calls: CallbackCall[] = [];
  const record = (call: CallbackCall) => {
    const index = calls.length;
    calls.push({ ...call, atMs: clock.now() - startedAt });
    return (update: Partial<CallbackCall>) => {
      calls[index] = { ...(calls[index] as CallbackCall), ...update };
    };
  };
  const capabilities: CapabilityBindings[] = module.capabilities.map((capability) => ({
    name: capability.name,
    namespaces: capability.namespaces,
    bindings: capability.bindings
      .filter((binding) => actions.has(binding.action))
      .map((binding) => recording(binding, record)),
  }));
  const retry =
    options.retry && "delayMs" in options.retry
      ? options.retry
      : new ExponentialBackoff({ jitter: 0, ...options.retry });
  const logger = options.logger ?? Log.child({}, { level: "silent" });
  const controller = new Controller({
    client: cluster.client,
    capabilities,
    ignoredNamespaces: watchIgnoredNamespaces(module.config),
    finalizer: namesOf(module.config).finalizer,
    retry,
    clock,
    logger,
    sources: cluster.sources,
    ...(options.workers ? { workers: options.workers } : {}),
    ...(options.strategy ? { strategy: options.strategy } : {}),
    reconcileDelivery: options.reconcileDelivery ?? (flavorOf(module.config) === "pepr" ? "every" : "coalesce"),
  });
  const admission = options.admission ? admissionTester(module, { logger }) : undefined;
  const schedules = scheduler(module.capabilities, clock, logger, record);

  const settled = async () => {
    for (let round = 0; round < 3; round++) {
      await settle();
      await Promise.all([controller.reconcileQueue.idle(), controller.watchQueue.idle()]);
    }
  };
  const ready = (async () => {
    for (const object of options.objects ?? []) await cluster.apply(object);
    controller.start();
    controller.activate();
    schedules.start();
    await settled();
  })();
  // Awaited by every method; this only keeps a failure nobody awaits from being reported as unhandled.
  ready.catch(() => {});
  let stopped = false;
  // A stopped controller runs nothing: without this, a tester shared by several tests with
  // `afterEach(() => tester.stop())` would pass the second test with no callback run.
  const live = (method: string) => {
    if (stopped) {
      throw new Error(
        `controllerTester: ${method}() after stop(): a stopped tester runs no callbacks. Make one tester per test (create it in beforeEach, or in the test) or stop it in afterAll`,
      );
    }
    return ready;
  };

  return {
    module,
    clock,
    cluster,
    controller,
    store,
    get calls() {
      return calls;
    },
    callsOf: (binding) => calls.filter((call) => call.binding.startsWith(binding) || call.action === binding),
    async apply(input) {
      await live("apply");
      let object = toObject(input);
      if (admission) {
        const existing = cluster.get(object);
        const result = await admission.review(
          existing ? { operation: "UPDATE", object, oldObject: existing } : { object },
        );
        expectAllowed(result);
        object = result.patched;
      }
      const stored = await cluster.apply(object);
      await settled();
      return stored;
    },
    async delete(input) {
      await live("delete");
      await cluster.delete(input);
      await settled();
    },
    async advance(time) {
      await live("advance");
      await clock.advance(durationMs(time));
      await settled();
    },
    async settle() {
      await live("settle");
      await settled();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await ready;
      await schedules.stop();
      await controller.stop();
    },
  };
}
