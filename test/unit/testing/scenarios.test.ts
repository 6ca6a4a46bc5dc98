import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Capability } from "../../../src/model/capability.ts";
import { parseModuleConfig } from "../../../src/model/module-config.ts";
import {
  findScenarioFiles,
  formatScenarioReport,
  type ModuleUnderTest,
  parseScenarioFile,
  runScenarios,
} from "../../../src/testing/index.ts";
import pkg from "./fixtures/scenario-module/package.json" with { type: "json" };
import { fixtureModule as fixture, scratchModule } from "./scratch-module.ts";

let module: ModuleUnderTest;

beforeAll(async () => {
  // The fixture's capabilities import "capstan" as an author's do: load them from a copy that resolves it.
  const dir = scratchModule();
  const load = async (file: string, name: string) =>
    ((await import(join(dir, "capabilities", file))) as Record<string, Capability>)[name] as Capability;
  module = {
    config: parseModuleConfig(pkg),
    capabilities: [await load("policy.ts", "Policy"), await load("retry.ts", "Retry")],
  };
});

describe("scenario files", () => {
  it("pass for mutate, deny with warnings, filters not matching and a reconcile that fails twice", async () => {
    const files = findScenarioFiles(join(fixture, "scenarios")).map((file) => parseScenarioFile(file));
    expect(files.map((file) => file.scenarios.length)).toEqual([4, 1]);
    const report = await runScenarios(module, files);
    expect(report.results.filter((result) => !result.passed)).toEqual([]);
    expect(report).toMatchObject({ passed: 5, failed: 0 });
    expect(formatScenarioReport(report)).toContain("5 scenarios: 5 passed, 0 failed");
  });

  it("fail on a wrong expectation with a diff naming the binding and the field", async () => {
    const report = await runScenarios(module, [parseScenarioFile(join(fixture, "wrong", "wrong.scenarios.yaml"))]);
    expect(report).toMatchObject({ passed: 0, failed: 2 });
    const [label, reconcile] = report.results;
    expect(label?.failures).toHaveLength(1);
    expect(label?.failures[0]).toContain(
      "/metadata/labels/owner is not as expected (set by policy/0-mutate-configmap)",
    );
    expect(label?.failures[0]).toContain('expected: "billing"');
    expect(label?.failures[0]).toContain('actual:   "payments"');
    expect(reconcile?.failures[0]).toContain(
      "step 2 (expect): callback call 1 of retry/0-reconcile-configmap differs in outcome",
    );
    expect(reconcile?.failures[0]).toContain("field:    calls[0].outcome");
    const text = formatScenarioReport(report);
    expect(text).toContain("✗ expects the wrong owner");
    expect(text).toContain("2 scenarios: 0 passed, 2 failed");
  });

  it("reject malformed files with the file, the scenario and the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-scenarios-"));
    const file = join(dir, "bad.scenarios.yaml");
    const problems: [string, RegExp][] = [
      ["scenarios: []", /scenarios: must be a non-empty list/],
      ["scenarios: [{ name: x }]", /scenarios\[0\] \(x\): needs request .* or steps/],
      [
        "scenarios: [{ name: x, request: { object: { kind: Pod } }, expect: { allowed: true } }]",
        /request.object: needs apiVersion and kind/,
      ],
      [
        "scenarios: [{ name: x, request: { objectFile: nope.yaml }, expect: { allowed: true } }]",
        /request.objectFile: cannot read .*nope.yaml/,
      ],
      ["scenarios: [{ name: x, request: {}, expect: { allowd: true } }]", /unknown field "allowd"/],
      ["scenarios: [{ name: x, request: {} }]", /expect: must be a mapping/],
      ["scenarios: [{ name: x, request: {}, expect: {} }]", /expect: is empty/],
      ["scenarios: [{ name: x, steps: [{ advance: 1s }] }]", /steps: has no expect step/],
      ["scenarios: [{ name: x, steps: [{ advance: 1s, apply: {} }] }]", /steps\[0\]: a step is exactly one of/],
      ["scenarios: [{ name: x, steps: [{ wait: 1s }] }]", /unknown step "wait"/],
      [
        "scenarios: [{ name: a, request: {}, expect: { allowed: true } }, { name: a, request: {} }]",
        /"a" is used twice/,
      ],
    ];
    for (const [text, message] of problems) {
      writeFileSync(file, text);
      expect(() => parseScenarioFile(file), text).toThrow(message);
      expect(() => parseScenarioFile(file)).toThrow(file);
    }
  });
});
