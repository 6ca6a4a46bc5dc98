import type { CompatTest } from "../../harness/context.ts";
import { twelveQuickApplies } from "../../harness/reconcile.ts";

const a = "compat-reconcile-kind-a";
const b = "compat-reconcile-kind-b";
void [a, b];

export default {
  description: "kind: one queue per kind: ConfigMaps of two namespaces in apply order, Secrets in parallel",
  async run(t) {
    await twelveQuickApplies(t, [[`ConfigMap/${a}/x`, `ConfigMap/${b}/y`], [`Secret/${a}/z`]]);
  },
} satisfies CompatTest;
