import { beforeAll, describe, expect, it } from "vitest";
import { capstanTest, scratchModule } from "./scratch-module.ts";

// `capstan test` end to end: the CLI bundles the module and runs the scenarios in a child process
// that loads the kit from the module's own capstan. Local processes only, no cluster.
let moduleDir: string;

beforeAll(() => {
  moduleDir = scratchModule();
});

describe("capstan test", { timeout: 120_000 }, () => {
  it("passes the scenario suite and exits 0", () => {
    const started = Date.now();
    const { code, out, err } = capstanTest(moduleDir, "scenarios");
    expect(err).toBe("");
    expect(out).toContain("scenarios/policy.scenarios.yaml\n  ✓ labels a team's ConfigMap with its owner");
    expect(out).toContain("✓ reconciles after two failures, backing off on the fake clock");
    expect(out).toContain("5 scenarios: 5 passed, 0 failed");
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("fails a wrong expectation with a diff naming the binding and the field, and exits 1", () => {
    const { code, out } = capstanTest(moduleDir, "wrong");
    expect(out).toContain("✗ expects the wrong owner");
    expect(out).toContain("/metadata/labels/owner is not as expected (set by policy/0-mutate-configmap)");
    expect(out).toContain('expected: "billing"');
    expect(out).toContain('actual:   "payments"');
    expect(out).toContain("callback call 1 of retry/0-reconcile-configmap differs in outcome");
    expect(out).toContain("2 scenarios: 0 passed, 2 failed");
    expect(code).toBe(1);
  });

  it("says what is wrong when there is nothing to run", () => {
    const { code, err } = capstanTest(moduleDir, "capabilities");
    expect(err).toMatch(/no \*\.scenarios\.yaml files under .*capabilities/);
    expect(code).toBe(1);
  });
});
