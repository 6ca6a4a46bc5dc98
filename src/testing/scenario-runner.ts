import { isDeepStrictEqual } from "node:util";
import { admissionTester } from "./admission.ts";
import { controllerTester } from "./controller.ts";
import { expectCalls, expectStore } from "./controller-expect.ts";
import {
  ExpectationError,
  expectAllowed,
  expectAnnotations,
  expectDenied,
  expectLabels,
  expectMatched,
  expectPatched,
  expectUnchanged,
  expectWarnings,
} from "./expect.ts";
import type { ModuleUnderTest } from "./module-under-test.ts";
import { objectRef } from "./objects.ts";
import { valueAt } from "./pointer.ts";
import type {
  AdmissionScenario,
  ControllerExpectation,
  ControllerScenario,
  Scenario,
  ScenarioFile,
} from "./scenario-file.ts";

export interface ScenarioResult {
  readonly file: string;
  readonly name: string;
  readonly passed: boolean;
  /** One entry per failed expectation (or the error that stopped the scenario). */
  readonly failures: readonly string[];
  readonly ms: number;
}

export interface ScenarioReport {
  readonly results: readonly ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
}

/** `/text/flags` → RegExp; anything else is matched as a substring. */
export function patternOf(text: string): RegExp | string {
  const match = /^\/(.*)\/([dgimsuy]*)$/s.exec(text);
  return match ? new RegExp(match[1] ?? "", match[2]) : text;
}

const absentIfNull = <T>(map: Readonly<Record<string, T | null>>) =>
  Object.fromEntries(Object.entries(map).map(([key, value]) => [key, value ?? undefined]));

/** Runs each check, collecting what fails instead of stopping at the first. */
class Checks {
  readonly failures: string[] = [];
  run(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ExpectationError)) throw error;
      this.failures.push(error.message);
    }
  }
}

async function runAdmission(module: ModuleUnderTest, scenario: AdmissionScenario, checks: Checks): Promise<void> {
  const tester = admissionTester(module);
  const result = await tester[scenario.webhook](scenario.request);
  const { expect } = scenario;
  const denied =
    expect.allowed === false ||
    (expect.allowed === undefined && (expect.message !== undefined || expect.code !== undefined));
  if (expect.allowed === true) checks.run(() => expectAllowed(result));
  if (denied) {
    checks.run(() =>
      expectDenied(
        result,
        expect.message === undefined ? undefined : patternOf(expect.message),
        expect.code === undefined ? {} : { code: expect.code },
      ),
    );
  }
  if (expect.warnings) checks.run(() => expectWarnings(result, ...(expect.warnings ?? []).map(patternOf)));
  if (expect.patched) checks.run(() => expectPatched(result, absentIfNull(expect.patched ?? {})));
  if (expect.labels) checks.run(() => expectLabels(result, absentIfNull(expect.labels ?? {})));
  if (expect.annotations) checks.run(() => expectAnnotations(result, absentIfNull(expect.annotations ?? {})));
  if (expect.matched) checks.run(() => expectMatched(result, ...(expect.matched ?? [])));
  if (expect.unchanged) checks.run(() => expectUnchanged(result));
}

function checkObjects(
  tester: ReturnType<typeof controllerTester>,
  expect: ControllerExpectation,
  checks: Checks,
): void {
  for (const { object, absent, fields } of expect.objects ?? []) {
    const stored = tester.cluster.get(object);
    const ref = objectRef(object);
    if (absent) {
      if (stored) checks.failures.push(`expected ${ref} to be gone from the cluster, but it is there`);
      continue;
    }
    if (!stored) {
      checks.failures.push(`expected ${ref} in the cluster, but it is not there`);
      continue;
    }
    for (const [path, want] of Object.entries(fields ?? {})) {
      const got = valueAt(stored, path);
      if (isDeepStrictEqual(got, want ?? undefined)) continue;
      checks.run(() => {
        throw new ExpectationError({
          summary: `${ref} in the cluster: ${path} is not as expected`,
          field: path,
          bindings: [...new Set(tester.calls.map((call) => call.binding))],
          expected: want ?? undefined,
          actual: got,
        });
      });
    }
  }
}

async function runController(module: ModuleUnderTest, scenario: ControllerScenario, checks: Checks): Promise<void> {
  const tester = controllerTester(module, {
    ...(scenario.retry ? { retry: scenario.retry } : {}),
    objects: scenario.objects,
    admission: scenario.admission,
  });
  try {
    for (const [index, step] of scenario.steps.entries()) {
      const before = checks.failures.length;
      if ("apply" in step) await tester.apply(step.apply);
      else if ("delete" in step) await tester.delete(step.delete);
      else if ("advance" in step) await tester.advance(step.advance);
      else {
        const { expect } = step;
        if (expect.calls) checks.run(() => expectCalls(tester.calls, expect.calls ?? [], expect.binding));
        for (const [capability, values] of Object.entries(expect.store ?? {})) {
          checks.run(() => expectStore(tester.store, capability, values));
        }
        checkObjects(tester, expect, checks);
      }
      for (let i = before; i < checks.failures.length; i++)
        checks.failures[i] = `step ${index + 1} (expect): ${checks.failures[i]}`;
    }
  } finally {
    await tester.stop();
  }
}

async function runOne(module: ModuleUnderTest, file: string, scenario: Scenario): Promise<ScenarioResult> {
  const started = performance.now();
  const checks = new Checks();
  try {
    if (scenario.kind === "admission") await runAdmission(module, scenario, checks);
    else await runController(module, scenario, checks);
  } catch (error) {
    checks.failures.push(`stopped by an error: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    file,
    name: scenario.name,
    passed: checks.failures.length === 0,
    failures: checks.failures,
    ms: Math.round(performance.now() - started),
  };
}

/** Runs every scenario of every file against the module, one at a time. */
export async function runScenarios(module: ModuleUnderTest, files: readonly ScenarioFile[]): Promise<ScenarioReport> {
  const results: ScenarioResult[] = [];
  for (const file of files)
    for (const scenario of file.scenarios) results.push(await runOne(module, file.path, scenario));
  const passed = results.filter((result) => result.passed).length;
  return { results, passed, failed: results.length - passed };
}

/** The human-readable report: files, a line per scenario, each failure indented under it, then the totals. */
export function formatScenarioReport(
  report: ScenarioReport,
  relativeTo: (path: string) => string = (path) => path,
): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const result of report.results) {
    if (result.file !== file) {
      file = result.file;
      lines.push(relativeTo(file));
    }
    lines.push(`  ${result.passed ? "✓" : "✗"} ${result.name} (${result.ms} ms)`);
    for (const failure of result.failures)
      lines.push(...failure.split("\n").map((line, i) => `      ${i === 0 ? "" : "  "}${line}`));
  }
  const total = report.results.length;
  lines.push("", `${total} scenario${total === 1 ? "" : "s"}: ${report.passed} passed, ${report.failed} failed`);
  return `${lines.join("\n")}\n`;
}
