import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { moduleNeeds } from "../../../src/build/module-description.ts";
import { deriveRbac } from "../../../src/build/rbac.ts";
import { findK8sCalls, rbacGapWarnings, scanRbacGaps } from "../../../src/build/rbac-scan.ts";
import { resourceNames } from "../../../src/contract/resource-names.ts";
import { binding, configMap, description } from "./fixtures.ts";

const source = `
import { Capability, K8s, kind, a } from "pepr";
export const c = new Capability({ name: "c", description: "" });
c.OnSchedule({ every: 1, unit: "minutes", run: async () => {
  await K8s(kind.ConfigMap).Apply({ metadata: { name: "x", namespace: "y" }, data: { k: "v(" } });
  const list = await K8s(a.ConfigMap).InNamespace("y").WithLabel("app", ")").Get();
  await K8s(kind.ConfigMap, { name: "n" })
    .InNamespace("y")
    .Get("n");
  await K8s(kind.Deployment).InNamespace("y").PatchStatus({ metadata: { name: "d" }, status: {} });
  await K8s(kind.Secret).Delete("s");
  await K8s(kind.Pod).InNamespace("y").Logs("p");
  await K8s(Widget).Apply({});
  K8s(kind.Namespace).Raw("/api");
}});
`;

describe("the build's scan for K8s() calls the generated rules do not cover", () => {
  it("finds fluent calls across lines and filters, with the action and whether it got arguments", () => {
    const calls = findK8sCalls(source, "capabilities/c.ts").map(({ line, model, action, withArguments }) => ({
      line,
      model,
      action,
      withArguments,
    }));
    expect(calls).toEqual([
      { line: 5, model: "ConfigMap", action: "Apply", withArguments: true },
      { line: 6, model: "ConfigMap", action: "Get", withArguments: false },
      { line: 7, model: "ConfigMap", action: "Get", withArguments: true },
      { line: 10, model: "Deployment", action: "PatchStatus", withArguments: true },
      { line: 11, model: "Secret", action: "Delete", withArguments: true },
      { line: 12, model: "Pod", action: "Logs", withArguments: true },
    ]);
  });

  it("warns once per group and resource with the verbs missing and the rule to add; granted verbs are quiet", () => {
    // A Watch binding on ConfigMaps: the generated rules read them (get, list, watch) and nothing else.
    const module = description([binding("watch", configMap)]);
    const rules = deriveRbac(module, moduleNeeds(module), resourceNames("demo", "capstan"), "scoped");
    const warnings = rbacGapWarnings(
      findK8sCalls(source, "capabilities/c.ts"),
      [...rules.clusterRules, ...rules.namespaceRules],
      "capstan",
    );
    expect(warnings).toEqual([
      'K8s(kind.ConfigMap).Apply at capabilities/c.ts:5 needs create, patch on configmaps (apiGroup ""), which the generated RBAC rules do not grant; add to package.json capstan.rbac: {"apiGroups":[""],"resources":["configmaps"],"verbs":["create","patch"]}',
      'K8s(kind.Deployment).PatchStatus at capabilities/c.ts:10 needs patch on deployments/status (apiGroup "apps"), which the generated RBAC rules do not grant; add to package.json capstan.rbac: {"apiGroups":["apps"],"resources":["deployments/status"],"verbs":["patch"]}',
      'K8s(kind.Secret).Delete at capabilities/c.ts:11 needs delete on secrets (apiGroup ""), which the generated RBAC rules do not grant; add to package.json capstan.rbac: {"apiGroups":[""],"resources":["secrets"],"verbs":["delete"]}',
      'K8s(kind.Pod).Logs at capabilities/c.ts:12 needs get on pods/log (apiGroup ""), which the generated RBAC rules do not grant; add to package.json capstan.rbac: {"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}',
    ]);
  });

  it("is quiet once the module declares the rules (Pepr modules are told pepr.rbac)", async () => {
    const declared = description([binding("watch", configMap)], {
      config: {
        uuid: "demo",
        onError: "ignore",
        rbac: [
          { apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["create", "patch", "delete"] },
          { apiGroups: ["apps"], resources: ["deployments/status"], verbs: ["*"] },
        ],
      },
    });
    const rules = deriveRbac(declared, moduleNeeds(declared), resourceNames("demo", "pepr"), "scoped");
    const dir = mkdtempSync(join(tmpdir(), "rbac-scan-"));
    writeFileSync(join(dir, "pepr.ts"), source);
    expect(await scanRbacGaps([join(dir, "pepr.ts")], rules.clusterRules, "pepr", dir)).toEqual([
      'K8s(kind.Pod).Logs at pepr.ts:12 needs get on pods/log (apiGroup ""), which the generated RBAC rules do not grant; add to package.json pepr.rbac: {"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}',
    ]);
  });
});
