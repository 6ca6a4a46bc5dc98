import type { CompatTest } from "../../harness/context.ts";
import { twelveQuickApplies } from "../../harness/reconcile.ts";

const a = "compat-reconcile-kindnsname-a";
const b = "compat-reconcile-kindnsname-b";
void [a, b];

export default {
  description:
    "kindNsName: twelve quick applies of each object give twelve calls in order; objects run in parallel queues",
  async run(t) {
    await twelveQuickApplies(t, [[`ConfigMap/${a}/x`], [`ConfigMap/${a}/y`], [`Secret/${a}/z`]]);
  },
} satisfies CompatTest;
