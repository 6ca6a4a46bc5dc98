import type { CompatTest } from "../../harness/context.ts";
import { twelveQuickApplies } from "../../harness/reconcile.ts";

const a = "compat-reconcile-global-a";
const b = "compat-reconcile-global-b";
void [a, b];

export default {
  description:
    "global: one queue: ConfigMaps and Secrets of two namespaces, never two calls at once, each kind's calls in apply order",
  async run(t) {
    await twelveQuickApplies(t, [[`ConfigMap/${a}/x`, `ConfigMap/${b}/y`, `Secret/${a}/z`]]);
  },
} satisfies CompatTest;
