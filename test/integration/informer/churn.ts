import type { KubernetesObject } from "../../../src/k8s/kinds.ts";

/** One ConfigMap's life in a churn run: created with v=0, updated to v=1..updates, maybe deleted. */
export interface Plan {
  readonly namespace: string;
  readonly name: string;
  readonly updates: number;
  readonly deleted: boolean;
}

/** The same plans in the writer process and the checking one. */
export function churnPlans(objects: number, namespaces: readonly string[]): Plan[] {
  return Array.from({ length: objects }, (_, i) => ({
    namespace: namespaces[i % namespaces.length] as string,
    name: `cm-${i}`,
    updates: 1 + (i % 3),
    deleted: i % 4 === 1,
  }));
}

export const objectKeyOf = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;

/** JSON with object keys sorted, so equal objects compare equal whatever order the server wrote them in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export interface Delivered {
  readonly type: string;
  /** data.v of the object delivered (-1 when absent). */
  readonly v: number;
}

/**
 * Every violation of "every final state and every delete was delivered, in order, once": for each
 * plan, the last delivered event is its delete or its final version, versions only go up, nothing
 * follows a DELETED and ADDED comes once. Objects created and deleted entirely while the informer
 * was cut off cannot be seen by any LIST or watch; they are counted, not violations.
 */
export function deliveryViolations(
  plans: readonly Plan[],
  delivered: ReadonlyMap<string, readonly Delivered[]>,
): { violations: string[]; neverSeen: number; missingFinal: string[] } {
  const violations: string[] = [];
  const missingFinal: string[] = [];
  let neverSeen = 0;
  for (const plan of plans) {
    const k = `${plan.namespace}/${plan.name}`;
    const events = delivered.get(k) ?? [];
    const last = events.at(-1);
    if (plan.deleted && events.length === 0) neverSeen++;
    else if (plan.deleted) {
      if (last?.type !== "DELETED") missingFinal.push(`${k}: delete not delivered (last ${JSON.stringify(last)})`);
    } else if (last?.type === "DELETED" || last?.v !== plan.updates) {
      missingFinal.push(`${k}: final state v=${plan.updates} not delivered (last ${JSON.stringify(last)})`);
    }
    let previous = -1;
    let adds = 0;
    let deletes = 0;
    for (const event of events) {
      if (deletes > 0) violations.push(`${k}: ${event.type} after DELETED`);
      if (event.type === "ADDED") adds++;
      if (event.type === "DELETED") deletes++;
      else if (event.v <= previous) violations.push(`${k}: v=${event.v} delivered after v=${previous} (out of order)`);
      else previous = event.v;
    }
    if (adds > 1) violations.push(`${k}: ADDED ${adds} times`);
  }
  return { violations: [...missingFinal, ...violations], neverSeen, missingFinal };
}
