import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

export default {
  description:
    "PEPR_STORE_REDACT_VALUES: Store values never appear in the logs at LOG_LEVEL=debug: setItemAndWait, getItem and clear of a secret",
  async run(t) {
    await t.waitForLog(/"msg":"(DONE|NOT REMOVED)"/);
    const logs = t.moduleLogs().join("\n");
    expect(logs).toContain('"msg":"DONE"');
    // The value was written and read back (the module logged a changed copy), never logged itself.
    expect(logs).toContain('"password":"***DECLASSIFIED***"');
    expect(logs).not.toContain("***SECRET***");
    // LOG_LEVEL from pepr.env: the module's debug line is there.
    expect(logs).toMatch(/"level":20,.*"msg":"debug logging is on"/);
  },
} satisfies CompatTest;
