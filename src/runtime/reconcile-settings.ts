import {
  DEFAULT_ORDERING_STRATEGY,
  type OrderingStrategy,
  parseOrderingStrategy,
  parseReconcileDelivery,
  type ReconcileDelivery,
} from "../controller/index.ts";
import type { Flavor } from "../model/index.ts";

/** The environment variables that shape Reconcile (docs/controller.md, "Ordering and delivery"). */
export const ReconcileEnv = {
  /** Pepr's name for the ordering strategy. */
  peprStrategy: "PEPR_RECONCILE_STRATEGY",
  /** capstan's name for it; wins when both are set. */
  strategy: "CAPSTAN_RECONCILE_STRATEGY",
  /** `every` or `coalesce`; default `every` for a Pepr module, `coalesce` for a capstan one. */
  delivery: "CAPSTAN_RECONCILE_DELIVERY",
  /** Callbacks that may run at once per queue. */
  workers: "CAPSTAN_RECONCILE_WORKERS",
} as const;

export interface ReconcileSettings {
  readonly strategy: OrderingStrategy;
  readonly reconcileDelivery: ReconcileDelivery;
  readonly workers?: number;
}

/** Reconcile's settings for a module of `flavor`, from the environment; throws with what to fix. */
export function reconcileSettings(flavor: Flavor, env: NodeJS.ProcessEnv = process.env): ReconcileSettings {
  const strategyVar = env[ReconcileEnv.strategy] ? ReconcileEnv.strategy : ReconcileEnv.peprStrategy;
  const strategy = env[strategyVar];
  const delivery = env[ReconcileEnv.delivery];
  const workers = env[ReconcileEnv.workers];
  if (workers && !(Number.isInteger(Number(workers)) && Number(workers) > 0)) {
    throw new Error(`Invalid ${ReconcileEnv.workers} "${workers}": use a whole number above 0`);
  }
  return {
    strategy: strategy ? parseOrderingStrategy(strategy, strategyVar) : DEFAULT_ORDERING_STRATEGY,
    reconcileDelivery: delivery
      ? parseReconcileDelivery(delivery, ReconcileEnv.delivery)
      : flavor === "pepr"
        ? "every"
        : "coalesce",
    ...(workers ? { workers: Number(workers) } : {}),
  };
}
