import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

export default {
  description:
    "beforeHook and afterHook see each request Pepr's webhooks get (by kind, not by label), afterHook once per answer",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-hooks\n");
    await t.apply(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: allowed\n  namespace: compat-hooks\nstringData:\n  a: b\n",
    );
    const denied = await t.kubectlRun(
      ["apply", "-f", "-"],
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: refused\n  namespace: compat-hooks\n  labels:\n    deny: x\nstringData:\n  a: b\n",
    );
    expect(denied.stderr).toContain("denied the request: Secrets labelled deny are refused");
    await t.apply(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labelled\n  namespace: compat-hooks\n  labels:\n    hook-me: x\n",
    );
    await t.apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unlabelled\n  namespace: compat-hooks\n");

    const hooks = (name: string) => {
      const before = t.moduleLogRecords().filter((line) => line.msg === "before hook" && line.name === name);
      const uid = before[0]?.uid;
      const after = t.moduleLogRecords().filter((line) => line.msg === "after hook" && line.uid === uid);
      return { before, after, uid };
    };
    await t.waitFor("the after hook of the unlabelled ConfigMap", async () =>
      hooks("unlabelled").after.length >= 1 ? true : undefined,
    );
    await t.sleep(500);

    // A Secret bound by a Validate only goes to the validating webhook: one call of each hook.
    const allowed = hooks("allowed");
    expect(allowed.before.map((line) => [line.kind, line.operation])).toEqual([["Secret", "CREATE"]]);
    expect(allowed.after.map((line) => line.allowed)).toEqual([true]);
    const refused = hooks("refused");
    expect(refused.before).toHaveLength(1);
    expect(refused.after.map((line) => line.allowed)).toEqual([false]);

    // ConfigMaps, bound by a Mutate with a label filter: both reach the hooks; only one is patched.
    const labelled = hooks("labelled");
    expect(labelled.before).toHaveLength(1);
    expect(labelled.after.map((line) => [line.allowed, line.patched])).toEqual([[true, true]]);
    const unlabelled = hooks("unlabelled");
    expect(unlabelled.before.map((line) => [line.kind, line.operation])).toEqual([["ConfigMap", "CREATE"]]);
    expect(unlabelled.after.map((line) => line.allowed)).toEqual([true]);

    const checked = t.moduleLogRecords().filter((line) => line.msg === "Check response" && line.uid === unlabelled.uid);
    expect(checked).toHaveLength(1);
  },
} satisfies CompatTest;
