/** The object an item is about: what a lane (serialisation key) is computed from. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/**
 * Pepr's `PEPR_RECONCILE_STRATEGY`: which items may never run at the same time, in the order they
 * arrived. `kindNsName` (default) serialises per object; `kindNs` per kind and namespace; `kind`
 * per kind; `global` runs one item at a time overall.
 */
export type OrderingStrategy = "kind" | "kindNs" | "kindNsName" | "global";

export const orderingStrategies: readonly OrderingStrategy[] = ["kind", "kindNs", "kindNsName", "global"];
export const DEFAULT_ORDERING_STRATEGY: OrderingStrategy = "kindNsName";

/**
 * What a Reconcile callback receives. `every`: each event, with the object and phase it carried, in
 * the order of its lane (Pepr's Reconcile). `coalesce`: changes of one object merge and the callback
 * gets the object as it is when it runs, with retries and backoff (capstan's own).
 */
export type ReconcileDelivery = "every" | "coalesce";

export const reconcileDeliveries: readonly ReconcileDelivery[] = ["every", "coalesce"];

export function laneOf(strategy: OrderingStrategy, ref: ObjectRef): string {
  switch (strategy) {
    case "global":
      return "*";
    case "kind":
      return ref.kind;
    case "kindNs":
      return `${ref.kind}/${ref.namespace ?? ""}`;
    case "kindNsName":
      return `${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
  }
}

function oneOf<T extends string>(allowed: readonly T[], value: string, source: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`Invalid ${source} "${value}": use one of ${allowed.join(", ")}`);
}

/** Reads an ordering strategy given from outside (`source` names where, for the error). */
export function parseOrderingStrategy(value: string, source: string): OrderingStrategy {
  return oneOf(orderingStrategies, value, source);
}

/** Reads a Reconcile delivery given from outside (`source` names where, for the error). */
export function parseReconcileDelivery(value: string, source: string): ReconcileDelivery {
  return oneOf(reconcileDeliveries, value, source);
}
