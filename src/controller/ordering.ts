/** The object an item is about: what a lane (serialisation key) is computed from. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/**
 * Pepr's `PEPR_RECONCILE_STRATEGY`: which items may never run at the same time. `kindNsName`
 * (default) serialises per object; `kindNs` per kind and namespace; `kind` per kind; `global`
 * runs one item at a time overall. Coalescing is always per object, whatever the strategy.
 */
export type OrderingStrategy = "kind" | "kindNs" | "kindNsName" | "global";

export const orderingStrategies: readonly OrderingStrategy[] = ["kind", "kindNs", "kindNsName", "global"];

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

/** Reads the strategy from `CAPSTAN_RECONCILE_STRATEGY` or Pepr's `PEPR_RECONCILE_STRATEGY`; default `kindNsName`. */
export function strategyFromEnv(env: NodeJS.ProcessEnv = process.env): OrderingStrategy {
  const value = env.CAPSTAN_RECONCILE_STRATEGY ?? env.PEPR_RECONCILE_STRATEGY;
  if (value === undefined || value === "") return "kindNsName";
  if ((orderingStrategies as readonly string[]).includes(value)) return value as OrderingStrategy;
  throw new Error(
    `unknown reconcile strategy "${value}" (from CAPSTAN_RECONCILE_STRATEGY/PEPR_RECONCILE_STRATEGY); use one of ${orderingStrategies.join(", ")}`,
  );
}
