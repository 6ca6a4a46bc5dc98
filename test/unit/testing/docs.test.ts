import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { capstanTest, documentedFiles, documentedModule, repoRoot, vitestRun } from "./scratch-module.ts";

// docs/testing.md's examples, run as an author would: its files in a module, then vitest and `capstan test`.
let moduleDir: string;

beforeAll(() => {
  moduleDir = documentedModule();
});

describe("docs/testing.md", { timeout: 120_000 }, () => {
  it("has the module, two offline test files, a cluster test file and a scenario file", () => {
    expect(Object.keys(documentedFiles()).sort()).toEqual([
      "capabilities/hello-admission.test.ts",
      "capabilities/hello-controller.test.ts",
      "capabilities/hello.cluster.test.ts",
      "capabilities/hello.ts",
      "capstan.ts",
      "scenarios/hello.scenarios.yaml",
    ]);
  });

  it("its offline test files pass with vitest in a few seconds", () => {
    const started = Date.now();
    const run = vitestRun(moduleDir, ["capabilities/hello-admission.test.ts", "capabilities/hello-controller.test.ts"]);
    expect(run.out + run.err).toMatch(/Tests\s+4 passed \(4\)/);
    expect(run.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("its scenario file passes `capstan test`, and with the wrong owner fails as the page shows", () => {
    const run = capstanTest(moduleDir, "scenarios");
    expect(run.out).toContain("4 scenarios: 4 passed, 0 failed");
    expect(run.code).toBe(0);

    const file = join(moduleDir, "scenarios", "hello.scenarios.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("labels: { owner: payments }", "labels: { owner: billing }"),
    );
    const wrong = capstanTest(moduleDir, "scenarios");
    expect(wrong.code).toBe(1);
    const page = readFileSync(join(repoRoot, "docs", "testing.md"), "utf8");
    const shown = page.slice(page.indexOf("Output (here with one wrong"));
    for (const line of wrong.out.split("\n").filter((l) => l.includes("owner") || l.includes("scenarios:"))) {
      expect(shown).toContain(line.replace(/\(\d+ ms\)/, ""));
    }
    expect(wrong.out).toContain("4 scenarios: 3 passed, 1 failed");
  });
});
