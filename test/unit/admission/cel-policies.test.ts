import { describe, expect, it } from "vitest";
import { celPolicies } from "../../../src/admission/cel-policies.ts";
import { applyCelPolicies } from "../../../src/admission/cel-registration.ts";
import { webhookConfigurations } from "../../../src/admission/webhook-config.ts";
import { moduleCelPolicies } from "../../../src/build/cel-policies.ts";
import { applyObject } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { describeCapability } from "../../../src/build/module-description.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";

const TEAM = { expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: "needs team" };

function moduleOf(build: (cap: Capability) => void, namespaces: string[] = [], flavor: "capstan" | "pepr" = "capstan") {
  const cap = new Capability({ name: "policies", description: "d", namespaces });
  build(cap);
  const config = { uuid: "u1", onError: "reject", alwaysIgnore: { namespaces: ["skip"] } };
  return new PeprModule(flavor === "capstan" ? { capstan: config } : { pepr: config }, [cap], { deferStart: true });
}

describe("ValidateCEL", () => {
  it("records the validations and actions as plain data, with no webhook and no callback", () => {
    const module = moduleOf((cap) => {
      cap
        .When(a.Pod)
        .IsCreatedOrUpdated()
        .InNamespace("app")
        .ValidateCEL(TEAM, { actions: ["Warn", "Audit"] });
    });
    const [binding] = module.capabilities[0]?.bindings ?? [];
    expect(binding).toMatchObject({
      action: "validate-cel",
      name: "0-validate-cel-pod",
      cel: { validations: [TEAM], actions: ["Warn", "Audit"] },
    });
    expect(binding?.isValidate).toBeUndefined();
    expect(binding?.validateCallback).toBeUndefined();
    const configs = webhookConfigurations(module, { endpoint: { url: "https://x" }, apiPath: "p", caBundle: "" });
    expect(configs).toEqual({});
  });

  it("defaults to Deny and chains with Validate and another ValidateCEL", () => {
    const module = moduleOf((cap) => {
      cap
        .When(a.Pod)
        .IsCreated()
        .ValidateCEL([TEAM, { expression: "true" }])
        .ValidateCEL({ expression: "1 == 1" }, { actions: ["Audit"] })
        .Validate((req) => req.Approve());
    });
    const bindings = module.capabilities[0]?.bindings ?? [];
    expect(bindings.map((binding) => [binding.action, binding.cel?.actions])).toEqual([
      ["validate-cel", ["Deny"]],
      ["validate-cel", ["Audit"]],
      ["validate", undefined],
    ]);
  });

  it.each([
    [[], {}, "at least one validation"],
    [{ expression: " " }, {}, "non-empty CEL string"],
    [TEAM, { actions: ["Deny", "Warn"] }, "both Deny and Warn"],
    [TEAM, { actions: [] }, "at least one of Deny, Warn, Audit"],
    [TEAM, { actions: ["Audit", "Audit"] }, "repeat an action"],
    [TEAM, { actions: ["Reject"] }, 'action "Reject"'],
    [{ expression: "true", reason: "Unauthorized" }, {}, 'reason "Unauthorized"'],
  ])("refuses %j with %j when the module loads", (validations, options, message) => {
    expect(() =>
      moduleOf((cap) => {
        cap
          .When(a.Pod)
          .IsCreated()
          .ValidateCEL(validations as never, options as never);
      }),
    ).toThrow(
      new RegExp(`Capability policies, ValidateCEL on Pod \\(binding 0\\): .*${message.replace(/[()]/g, "\\$&")}`),
    );
  });
});

describe("ValidatingAdmissionPolicy compilation", () => {
  it("turns kind, event, namespaces and filters into matchConstraints and matchConditions", () => {
    const module = moduleOf(
      (cap) => {
        cap
          .When(a.Pod)
          .IsCreatedOrUpdated()
          .InNamespace("app")
          .WithLabel("tier")
          .WithAnnotation("owner", "me")
          .WithNameRegex(/^web-/)
          .ValidateCEL(TEAM, { actions: ["Deny", "Audit"] });
      },
      ["app", "other"],
    );
    const [pair] = celPolicies(module);
    expect(pair?.policy).toEqual({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: "capstan-u1-policies-0-validate-cel-pod", labels: { "capstan.dev/uuid": "u1" } },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          matchPolicy: "Equivalent",
          namespaceSelector: {
            matchExpressions: [
              {
                key: "kubernetes.io/metadata.name",
                operator: "NotIn",
                values: ["capstan-system", "kube-system", "skip"],
              },
              { key: "kubernetes.io/metadata.name", operator: "In", values: ["app"] },
            ],
          },
          resourceRules: [
            {
              apiGroups: [""],
              apiVersions: ["v1"],
              operations: ["CREATE", "UPDATE"],
              resources: ["pods", "pods/ephemeralcontainers"],
              scope: "Namespaced",
            },
          ],
        },
        matchConditions: [
          {
            name: "name-regex",
            expression: "(has(object.metadata.name) ? object.metadata.name : '').matches('^web-')",
          },
          { name: "label-0", expression: "has(object.metadata.labels) && 'tier' in object.metadata.labels" },
          {
            name: "annotation-0",
            expression:
              "has(object.metadata.annotations) && 'owner' in object.metadata.annotations && object.metadata.annotations['owner'] == 'me'",
          },
        ],
        validations: [TEAM],
      },
    });
    expect(pair?.binding).toEqual({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: "capstan-u1-policies-0-validate-cel-pod", labels: { "capstan.dev/uuid": "u1" } },
      spec: { policyName: "capstan-u1-policies-0-validate-cel-pod", validationActions: ["Deny", "Audit"] },
    });
  });

  it("judges DELETE on oldObject and a mixed event by the operation; Pepr mode takes Pepr's names", () => {
    const module = moduleOf(
      (cap) => {
        cap.When(a.ConfigMap).IsDeleted().WithName("keep").ValidateCEL({ expression: "false" });
        cap.When(a.Namespace).IsCreatedOrUpdated().WithLabel("x", "y").ValidateCEL({ expression: "true" });
        cap.When(a.ConfigMap).IsCreated().WithDeletionTimestamp().ValidateCEL({ expression: "true" });
      },
      [],
      "pepr",
    );
    const [deleted, namespace] = celPolicies(module).map(
      ({ policy }) => policy as { metadata: { name: string }; spec: Record<string, unknown> },
    );
    expect(deleted?.metadata.name).toBe("pepr-u1-policies-0-validate-cel-configmap");
    expect(deleted?.spec.matchConditions).toEqual([
      { name: "name", expression: "(has(oldObject.metadata.name) ? oldObject.metadata.name : '') == 'keep'" },
    ]);
    expect(namespace?.spec.matchConstraints).toMatchObject({
      resourceRules: [
        {
          apiGroups: [""],
          apiVersions: ["v1"],
          operations: ["CREATE", "UPDATE"],
          resources: ["namespaces"],
          scope: "Cluster",
        },
      ],
    });
    expect(JSON.stringify(celPolicies(module)[0]?.policy)).toContain('"pepr.dev/uuid":"u1"');
  });

  it("fails the build naming the binding when a filter has no exact CEL form", () => {
    const regex = moduleOf((cap) => {
      cap.When(a.Pod).IsCreated().WithNameRegex(/web/i).ValidateCEL(TEAM);
    });
    expect(() => celPolicies(regex)).toThrow(
      /Capability policies, binding policies\/0-validate-cel-pod: WithNameRegex\(\/web\/i\) has no exact CEL form/,
    );
    const clusterScoped = moduleOf(
      (cap) => {
        cap.When(a.ClusterRole).IsCreated().ValidateCEL(TEAM);
      },
      ["app"],
    );
    expect(() => celPolicies(clusterScoped)).toThrow(/ClusterRole is cluster-scoped .* never matches/);
    const deleted = moduleOf((cap) => {
      cap.When(a.Pod).IsDeleted().WithDeletionTimestamp().ValidateCEL(TEAM);
    });
    expect(() => celPolicies(deleted)).toThrow(/WithDeletionTimestamp on IsDeleted never matches/);
  });

  it("survives the build's plain description (what discovery hands to the manifests)", () => {
    const module = moduleOf((cap) => {
      cap
        .When(a.Pod)
        .IsCreated()
        .InNamespace("app")
        .WithLabel("tier")
        .ValidateCEL(TEAM, { actions: ["Warn"] });
    });
    const description = {
      packageName: "m",
      version: "1.0.0",
      description: "",
      config: module.config,
      capabilities: module.capabilities.map(describeCapability),
      storeUsed: false,
    };
    const objects = moduleCelPolicies(JSON.parse(JSON.stringify(description)), "ns-of-module");
    const direct = celPolicies({
      config: { ...module.config, namespace: "ns-of-module" },
      capabilities: module.capabilities,
    });
    expect(objects).toEqual(direct.flatMap(({ policy, binding }) => [policy, binding]));
    expect(JSON.stringify(objects)).toContain('"values":["kube-system","ns-of-module","skip"]');
  });
});

describe("a cluster without the policy API", () => {
  const missing = {
    request: async (request: { method?: string; path: string }) => {
      throw new NotFoundError({
        status: 404,
        method: request.method ?? "GET",
        path: request.path,
        body: { message: "the server could not find the requested resource" },
      });
    },
  } as unknown as ApiClient;
  const module = moduleOf((cap) => {
    cap.When(a.Pod).IsCreated().ValidateCEL(TEAM);
  });

  it("gets a clear error from capstan dev's apply and from deploy's", async () => {
    await expect(applyCelPolicies(missing, celPolicies(module))).rejects.toThrow(
      /^Applying capstan-u1-policies-0-validate-cel-pod: this cluster does not serve admissionregistration\.k8s\.io\/v1 ValidatingAdmissionPolicy \(Kubernetes 1\.30 or later\)/,
    );
    const [pair] = celPolicies(module);
    await expect(applyObject(missing, pair?.policy as KubeObject)).rejects.toThrow(
      /ValidatingAdmissionPolicy capstan-u1-policies-0-validate-cel-pod failed: .* \(this cluster does not serve .*instead of ValidateCEL\)$/,
    );
  });
});
