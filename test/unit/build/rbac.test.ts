import { describe, expect, it } from "vitest";
import { moduleNeeds } from "../../../src/build/module-description.ts";
import { declaredRules, deriveRbac, mergeRules } from "../../../src/build/rbac.ts";
import { resourceNames } from "../../../src/contract/resource-names.ts";
import { binding, configMap, description, fullModule, pod, widget } from "./fixtures.ts";

const names = resourceNames("demo", "capstan");

describe("least-privilege RBAC from the bindings", () => {
  it("reads watched kinds, patches Finalize kinds, and names its own webhooks; nothing else cluster-wide", () => {
    const { clusterRules } = deriveRbac(fullModule, moduleNeeds(fullModule), names, "scoped");
    expect(clusterRules).toEqual([
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      {
        apiGroups: ["admissionregistration.k8s.io"],
        resources: ["mutatingwebhookconfigurations"],
        verbs: ["get", "list", "patch", "update", "watch"],
        resourceNames: ["capstan-demo"],
      },
      {
        apiGroups: ["admissionregistration.k8s.io"],
        resources: ["validatingwebhookconfigurations"],
        verbs: ["get", "list", "patch", "update", "watch"],
        resourceNames: ["capstan-demo"],
      },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
      { apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list", "patch", "watch"] },
    ]);
  });

  it("mutate/validate-only kinds get no access at all (the API server sends the objects)", () => {
    const { clusterRules } = deriveRbac(fullModule, moduleNeeds(fullModule), names, "scoped");
    expect(clusterRules.some((rule) => rule.resources.includes("pods"))).toBe(false);
  });

  it("keeps Leases, the Store and Secrets in the module's namespace, the TLS Secret by name", () => {
    const module = description([binding("watch", configMap)], { storeUsed: true });
    const { namespaceRules, clusterRules } = deriveRbac(module, moduleNeeds(module), names, "scoped");
    expect(namespaceRules).toEqual([
      {
        apiGroups: ["capstan.dev"],
        resources: ["capstanstores"],
        verbs: ["create", "get", "list", "patch", "update", "watch"],
      },
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        verbs: ["create", "get", "list", "patch", "update", "watch"],
      },
    ]);
    expect(clusterRules.some((rule) => rule.resources.some((resource) => resource.includes("webhook")))).toBe(false);

    const admission = description([binding("mutate", pod)]);
    const rules = deriveRbac(admission, moduleNeeds(admission), names, "scoped").namespaceRules;
    expect(rules.filter((rule) => rule.resources.includes("secrets"))).toEqual([
      { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
      {
        apiGroups: [""],
        resources: ["secrets"],
        verbs: ["get", "list", "patch", "update", "watch"],
        resourceNames: ["capstan-demo-tls"],
      },
    ]);
  });

  it("with audit on: reads the audited Validate kinds and writes the reports of the chosen API", () => {
    const secret = { group: "", version: "v1", kind: "Secret", plural: "secrets" };
    const bindings = [binding("validate", configMap, { alias: "cm-rule" }), binding("validate", secret)];
    const config = { uuid: "demo", onError: "reject" as const, webhookTimeout: 10, flavor: "capstan" as const };
    const rulesOf = (audit: unknown) =>
      deriveRbac(
        description(bindings, { config: { ...config, audit } as never }),
        moduleNeeds(description(bindings)),
        names,
        "scoped",
      ).clusterRules;
    expect(rulesOf(true)).toEqual(
      expect.arrayContaining([
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
        {
          apiGroups: ["openreports.io"],
          resources: ["clusterreports", "reports"],
          verbs: ["create", "delete", "get", "list", "patch", "update"],
        },
      ]),
    );
    const only = rulesOf({ bindings: ["cm-rule"], reportApi: "wgpolicyk8s" });
    expect(only.some((rule) => rule.resources.includes("secrets"))).toBe(false);
    expect(only).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          apiGroups: ["wgpolicyk8s.io"],
          resources: ["clusterpolicyreports", "policyreports"],
        }),
      ]),
    );
    expect(rulesOf(undefined).some((rule) => rule.resources.includes("configmaps"))).toBe(false);
  });

  it("adds the rules the module declares, merged by group and resource", () => {
    const module = description([binding("watch", configMap)], {
      config: {
        uuid: "demo",
        onError: "ignore",
        rbac: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["create"] }],
      },
    });
    const { clusterRules } = deriveRbac(module, moduleNeeds(module), names, "scoped");
    expect(clusterRules[0]).toEqual({
      apiGroups: [""],
      resources: ["configmaps"],
      verbs: ["create", "get", "list", "watch"],
    });
  });

  it("admin mode is one wildcard rule and nothing derived", () => {
    const { clusterRules } = deriveRbac(fullModule, moduleNeeds(fullModule), names, "admin");
    expect(clusterRules).toEqual([{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]);
  });

  it("refuses a declared rule that is not a list of strings, naming the field", () => {
    expect(() => declaredRules([{ apiGroups: [""], resources: "pods", verbs: ["get"] }])).toThrow(
      "capstan.rbac[0].resources",
    );
  });

  it("does not merge rules that name different objects", () => {
    const merged = mergeRules([
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["a"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["update"], resourceNames: ["b"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["watch"], resourceNames: ["a"] },
    ]);
    expect(merged).toHaveLength(2);
    expect(merged.find((rule) => rule.resourceNames?.[0] === "a")?.verbs).toEqual(["get", "watch"]);
  });

  it("watching a custom kind cluster-scoped uses its group and plural", () => {
    const module = description([binding("reconcile", { ...widget, namespaced: false })]);
    const { clusterRules } = deriveRbac(module, moduleNeeds(module), names, "scoped");
    expect(clusterRules).toContainEqual({
      apiGroups: ["example.com"],
      resources: ["widgets"],
      verbs: ["get", "list", "watch"],
    });
  });
});
