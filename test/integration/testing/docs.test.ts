import { describe, expect, inject, it } from "vitest";
import { documentedModule, vitestRun } from "../../unit/testing/scratch-module.ts";

// docs/testing.md's cluster example, run by vitest in a module as an author would, on the test cluster.
describe("docs/testing.md on a cluster", () => {
  it("its cluster test file passes", { timeout: 240_000 }, () => {
    const run = vitestRun(documentedModule(), ["capabilities/hello.cluster.test.ts"], {
      CAPSTAN_TEST_KUBECONFIG: inject("kubeconfig"),
    });
    expect(run.out + run.err).toMatch(/Tests\s+1 passed \(1\)/);
    expect(run.code).toBe(0);
  });
});
