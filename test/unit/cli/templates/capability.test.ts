import { describe, expect, it } from "vitest";
import {
  capabilitySource,
  capabilityTestSource,
  scenarioFileSource,
} from "../../../../src/cli/templates/capability.ts";
import { capstanTest, scratchModule, vitestRun } from "../../testing/scratch-module.ts";

// The template's capability, tested with the kit as `capstan init` writes it.
describe("the init template's tests on the kit", { timeout: 120_000 }, () => {
  const moduleDir = scratchModule({
    "package.json": JSON.stringify({ name: "hello", type: "module", capstan: { uuid: "hello", onError: "reject" } }),
    "capstan.ts": `import { PeprModule } from "capstan";\nimport { HelloCapstan } from "./capabilities/hello-capstan.ts";\nnew PeprModule({ capstan: { uuid: "hello", onError: "reject" } }, [HelloCapstan]);\n`,
    "capabilities/hello-capstan.ts": capabilitySource,
    "capabilities/hello-capstan.test.ts": capabilityTestSource,
    "scenarios/hello-capstan.scenarios.yaml": scenarioFileSource,
  });

  it("pass with vitest, offline, in a few seconds", () => {
    const started = Date.now();
    const run = vitestRun(moduleDir, ["capabilities/hello-capstan.test.ts"]);
    expect(run.out + run.err).toMatch(/Tests\s+5 passed \(5\)/);
    expect(run.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("pass with capstan test", () => {
    const run = capstanTest(moduleDir, "scenarios");
    expect(run.out).toContain("3 scenarios: 3 passed, 0 failed");
    expect(run.code).toBe(0);
  });
});
