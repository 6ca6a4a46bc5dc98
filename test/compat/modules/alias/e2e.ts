import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

export default {
  description:
    "Alias: 'Executing <action> action with alias: <alias>' before each call; the callback's logger carries alias",
  async run(t) {
    await t.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: compat-alias\n");
    for (const name of ["aliased", "reconciled", "no-alias"])
      await t.apply(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: compat-alias\n`);

    await t.waitForLog(/"msg":"Executing mutation action with alias: alias:create:aliased"/);
    await t.waitForLog(/"msg":"Executing validate action with alias: alias:create:aliased"/);
    await t.waitForLog(/"msg":"Executing watch action with alias: alias:create:aliased"/);
    await t.waitForLog(/"msg":"Executing reconcile action with alias: alias:reconcile"/);
    await t.waitForLog(/"msg":"External api call \(reconcile\)"/);
    await t.waitForLog(/"msg":"External api call \(watch\)"/);
    await t.waitForLog(/"msg":"External api call \(mutate, no alias\)"/);

    const alias = (msg: string) => t.moduleLogRecords().find((line) => line.msg === msg)?.alias;
    expect(alias("External api call (mutate)")).toBe("alias:create:aliased");
    expect(alias("External api call (validate)")).toBe("alias:create:aliased");
    expect(alias("External api call (watch)")).toBe("alias:create:aliased");
    expect(alias("External api call (reconcile)")).toBe("alias:reconcile");
    expect(alias("External api call (mutate, no alias)")).toBe("no alias provided");
  },
} satisfies CompatTest;
