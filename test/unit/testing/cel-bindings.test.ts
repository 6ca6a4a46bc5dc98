import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import {
  admissionTester,
  expectDenied,
  expectWarnings,
  parseScenarioFile,
  runScenarios,
} from "../../../src/testing/index.ts";

// A module's ValidateCEL bindings are judged offline in the same review as its webhook bindings.
function capability() {
  const cap = new Capability({ name: "cel", description: "CEL and webhook rules", namespaces: ["apps"] });
  const { When } = cap;
  When(ConfigMap).IsCreatedOrUpdated().WithLabel("strict").ValidateCEL({
    expression: "has(object.data) && 'owner' in object.data",
    messageExpression: "'configmap ' + object.metadata.name + ' needs data.owner'",
    reason: "Forbidden",
  });
  When(ConfigMap)
    .IsCreated()
    .ValidateCEL(
      { expression: "object.metadata.name.startsWith('app-')", message: "names start with app-" },
      { actions: ["Warn"] },
    );
  When(ConfigMap)
    .IsCreatedOrUpdated()
    .Validate((request) => {
      calls.push(request.Raw.metadata?.name ?? "");
      return "password" in (request.Raw.data ?? {}) ? request.Deny("no passwords", 422) : request.Approve();
    });
  return cap;
}
const calls: string[] = [];

const configMap = (name: string, labels: Record<string, string>, data?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "apps", labels },
  ...(data ? { data } : {}),
});

describe("admissionTester with ValidateCEL bindings", () => {
  it("a Deny policy rejects as the API server does, before any webhook runs", async () => {
    calls.length = 0;
    const tester = admissionTester(capability());
    const result = await tester.review({ object: configMap("app-a", { strict: "yes" }) });
    expectDenied(result, /needs data\.owner/, { code: 403 });
    expect(result.message).toBe(
      "ValidatingAdmissionPolicy 'capstan-capstan-test-cel-0-validate-cel-configmap' with binding 'capstan-capstan-test-cel-0-validate-cel-configmap' denied request: configmap app-a needs data.owner",
    );
    expect(result.cel.map((c) => c.binding)).toEqual(["cel/0-validate-cel-configmap", "cel/1-validate-cel-configmap"]);
    expect(result.trace).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("a Warn policy adds its warning beside the webhook's answer; filters decide which policies apply", async () => {
    calls.length = 0;
    const tester = admissionTester(capability());
    const result = await tester.validate({ object: configMap("other", {}, { password: "x" }) });
    expectDenied(result, "no passwords", { code: 422 });
    expectWarnings(
      result,
      /Validation failed for ValidatingAdmissionPolicy '.*-cel-1-validate-cel-configmap' .*: names start with app-/,
    );
    expect(result.matched).toContain("cel/1-validate-cel-configmap");
    expect(result.skipped.map((s) => s.binding)).toContain("cel/0-validate-cel-configmap");
    expect(calls).toEqual(["other"]);
  });

  it("an UPDATE reaches only the policies bound to it", async () => {
    const tester = admissionTester(capability());
    const object = configMap("x", { strict: "1" }, { owner: "me" });
    const result = await tester.validate({ operation: "UPDATE", object, oldObject: object });
    expect(result.allowed).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(result.cel.map((c) => c.binding)).toEqual(["cel/0-validate-cel-configmap"]);
  });

  it("scenario files (capstan test) see the policies' verdicts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-cel-scenarios-"));
    const file = join(dir, "cel.scenarios.yaml");
    writeFileSync(
      file,
      `scenarios:
  - name: strict ConfigMaps need an owner
    request:
      object: { apiVersion: v1, kind: ConfigMap, metadata: { name: app-x, namespace: apps, labels: { strict: "1" } } }
    expect:
      allowed: false
      code: 403
      message: /configmap app-x needs data.owner/
  - name: a name without app- is warned about
    request:
      object: { apiVersion: v1, kind: ConfigMap, metadata: { name: plain, namespace: apps } }
    expect:
      allowed: true
      warnings: [/names start with app-/]
  - name: expects the wrong verdict
    request:
      object: { apiVersion: v1, kind: ConfigMap, metadata: { name: app-y, namespace: apps, labels: { strict: "1" } } }
    expect:
      allowed: true
`,
    );
    const report = await runScenarios(
      { config: admissionTester(capability()).module.config, capabilities: [capability()] },
      [parseScenarioFile(file)],
    );
    expect(report.results.map((r) => r.passed)).toEqual([true, true, false]);
  });
});
