import type { CompatTest } from "../../harness/context.ts";
import { twelveQuickApplies } from "../../harness/reconcile.ts";

const a = "compat-reconcile-kindns-a";
const b = "compat-reconcile-kindns-b";
void [a, b];

export default {
  description:
    "kindNs: one queue per kind and namespace: two ConfigMaps of a namespace in apply order, another namespace in parallel",
  async run(t) {
    await twelveQuickApplies(t, [[`ConfigMap/${a}/x`, `ConfigMap/${a}/y`], [`ConfigMap/${b}/z`]]);
  },
} satisfies CompatTest;
