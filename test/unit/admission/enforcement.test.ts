import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { celPolicies } from "../../../src/admission/cel-policies.ts";
import { AdmissionEngine } from "../../../src/admission/engine.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { celActionsOf, type EnforcementConfig, enforcementOf, ruleOf } from "../../../src/model/enforcement.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { registry } from "../../../src/telemetry/index.ts";
import { admissionRequest } from "../../../src/testing/index.ts";
import { moduleUnderTest } from "../../../src/testing/module-under-test.ts";

const logger = pino({ level: "silent" });

function capability(): Capability {
  const cap = new Capability({ name: "cap", description: "d" });
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .Alias("needs-team")
    .Validate((req) => (req.Raw.metadata?.labels?.team ? req.Approve() : req.Deny("needs a team label")));
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .Validate((req) => (req.Raw.data?.bad ? req.Deny("no bad key", 403) : req.Approve(["looked"])));
  cap
    .When(a.Pod)
    .IsCreated()
    .Validate(() => {
      throw new Error("boom");
    });
  cap.When(a.ConfigMap).IsCreated().Alias("cel-team").ValidateCEL({ expression: "false", message: "never" });
  return cap;
}

function moduleWith(enforcement?: unknown, pkgKey: "capstan" | "pepr" = "capstan"): PeprModule {
  const config = { uuid: "u", onError: "reject", ...(enforcement === undefined ? {} : { enforcement }) };
  return new PeprModule({ [pkgKey]: config } as never, [capability()], { deferStart: true });
}

const configMap = (labels: Record<string, string>, data: Record<string, string> = {}) =>
  admissionRequest({
    uid: "u1",
    operation: "CREATE",
    object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "ns", labels }, data },
  });

async function unenforced(mode: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === "capstan_admission_unenforced_denials_total",
  );
  return (metric?.values ?? []).filter((v) => v.labels.mode === mode).reduce((sum, v) => sum + v.value, 0);
}

describe("enforcement modes: the module config", () => {
  it("is enforce everywhere when absent, in both blocks", () => {
    for (const key of ["capstan", "pepr"] as const) {
      const module = moduleWith(undefined, key);
      for (const binding of module.capabilities[0]?.bindings ?? []) {
        expect(enforcementOf(module.config, binding)).toBe("enforce");
      }
    }
  });

  it("resolves a rule by alias, else capability/binding name, else the default", () => {
    const module = moduleWith({
      default: "audit",
      bindings: { "needs-team": "warn", "cap/1-validate-configmap": "enforce" },
    });
    const [team, second, pod] = module.capabilities[0]?.bindings ?? [];
    expect(team && ruleOf(team)).toBe("needs-team");
    expect(second && ruleOf(second)).toBe("cap/1-validate-configmap");
    expect(team && enforcementOf(module.config, team)).toBe("warn");
    expect(second && enforcementOf(module.config, second)).toBe("enforce");
    expect(pod && enforcementOf(module.config, pod)).toBe("audit");
  });

  it.each([
    [{ default: "deny" }, 'Invalid enforcement.default "deny": use one of enforce, warn, audit'],
    [
      { bindings: { "needs-team": "block" } },
      'Invalid enforcement.bindings["needs-team"] "block": use one of enforce, warn, audit',
    ],
    ["audit", "Invalid enforcement: use an object"],
    [{ mode: "audit" }, 'Unknown enforcement key "mode": use "default" and "bindings"'],
    [{ bindings: ["needs-team"] }, "Invalid enforcement.bindings: use an object of rule names to modes"],
  ])("refuses %j with a clear message", (value, message) => {
    expect(() => moduleWith(value)).toThrow(message);
  });

  it("refuses a rule name no Validate binding has, listing the known ones", () => {
    expect(() => moduleWith({ bindings: { "needs-taem": "warn" } })).toThrow(
      'enforcement.bindings["needs-taem"] names no Validate binding: use an alias or <capability>/<binding name> (this module has: cap/1-validate-configmap, cap/2-validate-pod, cel-team, needs-team)',
    );
    expect(() => moduleUnderTest(capability(), { enforcement: { bindings: { nope: "audit" } } })).toThrow(
      'enforcement.bindings["nope"] names no Validate binding',
    );
  });
});

describe("enforcement modes: admission", () => {
  const review = (enforcement: EnforcementConfig | undefined, labels: Record<string, string>, data = {}) =>
    new AdmissionEngine(moduleWith(enforcement), { logger, marginMs: 0 }).review(
      "validate",
      configMap(labels, data),
      performance.now(),
    );

  it("enforce denies as Pepr does", async () => {
    const response = await review(undefined, {});
    expect(response.allowed).toBe(false);
    expect(response.status).toEqual({ code: 400, message: "needs a team label" });
  });

  it("warn admits and hands the denial back as a warning, keeping the callback's own warnings", async () => {
    const before = await unenforced("warn");
    const response = await review({ default: "warn" }, {}, { bad: "1" });
    expect(response.allowed).toBe(true);
    expect(response.status).toBeUndefined();
    expect(response.warnings).toEqual(["needs-team: needs a team label", "cap/1-validate-configmap: no bad key"]);
    expect(await unenforced("warn")).toBe(before + 2);
  });

  it("audit admits silently and records an audit annotation; other bindings still enforce", async () => {
    const before = await unenforced("audit");
    const response = await review({ bindings: { "needs-team": "audit" } }, {}, {});
    expect(response).toMatchObject({ allowed: true, warnings: ["looked"] });
    expect(response.auditAnnotations).toEqual({ "cap.0-validate-configmap": "needs-team: needs a team label" });
    expect(await unenforced("audit")).toBe(before + 1);

    const denied = await review({ bindings: { "needs-team": "audit" } }, {}, { bad: "1" });
    expect(denied.allowed).toBe(false);
    expect(denied.status).toEqual({ code: 403, message: "no bad key" });
  });

  it("a throwing callback in audit mode admits too (a rule being rolled out never blocks)", async () => {
    const engine = new AdmissionEngine(moduleWith({ default: "audit" }), { logger, marginMs: 0 });
    const pod = admissionRequest({
      uid: "u2",
      operation: "CREATE",
      object: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns" } },
    });
    const response = await engine.review("validate", pod, performance.now());
    expect(response.allowed).toBe(true);
    expect(Object.values(response.auditAnnotations ?? {})).toEqual([
      "cap/2-validate-pod: Action failed with error: boom",
    ]);
  });
});

describe("enforcement modes: ValidateCEL", () => {
  it("the code's actions stand unless the config gives the binding a mode", () => {
    const actionsOf = (enforcement?: EnforcementConfig) =>
      celPolicies(moduleWith(enforcement)).map(
        (pair) => (pair.binding.spec as { validationActions: string[] }).validationActions,
      );
    expect(actionsOf()).toEqual([["Deny"]]);
    expect(actionsOf({ bindings: { "cel-team": "warn" } })).toEqual([["Warn"]]);
    expect(actionsOf({ default: "audit" })).toEqual([["Audit"]]);
    expect(actionsOf({ bindings: { "needs-team": "warn" } })).toEqual([["Deny"]]);
  });

  it("keeps Audit when the code asked for it as well", () => {
    const binding = moduleWith().capabilities[0]?.bindings[3];
    if (!binding) throw new Error("no CEL binding");
    expect(celActionsOf({ enforcement: { default: "warn" } }, binding, ["Deny", "Audit"])).toEqual(["Warn", "Audit"]);
    expect(celActionsOf({ enforcement: { default: "audit" } }, binding, ["Deny", "Audit"])).toEqual(["Audit"]);
    expect(celActionsOf({}, binding, ["Deny", "Audit"])).toEqual(["Deny", "Audit"]);
  });
});
