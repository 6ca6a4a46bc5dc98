import { describe, expect, it } from "vitest";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import {
  admissionRequest,
  admissionTester,
  ExpectationError,
  expectAllowed,
  expectAnnotations,
  expectDenied,
  expectLabels,
  expectMatched,
  expectNotMatched,
  expectPatched,
  expectUnchanged,
  expectWarnings,
} from "../../../src/testing/index.ts";

function policy() {
  const capability = new Capability({
    name: "policy",
    description: "labels and checks ConfigMaps",
    namespaces: ["apps"],
  });
  const { When } = capability;
  When(ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel("team")
    .Mutate((request) => {
      request.SetLabel("owner", request.Raw.metadata?.labels?.team ?? "");
      if (request.IsDryRun) request.SetAnnotation("dry-run", "yes");
    });
  When(ConfigMap)
    .IsCreatedOrUpdated()
    .Validate((request) => {
      const data = request.Raw.data ?? {};
      if ("password" in data) return request.Deny("no passwords in ConfigMaps", 422, ["use a Secret"]);
      return request.Approve(request.Raw.metadata?.labels?.owner ? [] : ["no owner label"]);
    });
  When(ConfigMap)
    .IsDeleted()
    .Validate((request) =>
      request.Request.userInfo.username === "admin" ? request.Approve() : request.Deny("only admin deletes"),
    );
  return capability;
}

const yamlConfigMap = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
  labels:
    team: payments
data:
  color: blue
`;

describe("admission without a cluster", () => {
  it("builds requests the way the API server sends them", () => {
    const create = admissionRequest({ object: yamlConfigMap, dryRun: true });
    expect(create).toMatchObject({
      operation: "CREATE",
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      resource: { group: "", version: "v1", resource: "configmaps" },
      name: "settings",
      namespace: "apps",
      dryRun: true,
    });
    expect(create.oldObject).toBeUndefined();
    const remove = admissionRequest({ operation: "DELETE", object: yamlConfigMap, userInfo: { username: "bob" } });
    expect(remove.object).toBeNull();
    expect(remove.oldObject?.metadata?.name).toBe("settings");
    expect(remove.userInfo.username).toBe("bob");
    expect(() => admissionRequest({ operation: "UPDATE", object: yamlConfigMap })).toThrow(/needs oldObject/);
    expect(() => admissionRequest({ object: { metadata: { name: "x" } } })).toThrow(/apiVersion and kind/);
  });

  it("mutates through the real pipeline and reports the patch, the patched object and who changed what", async () => {
    const tester = admissionTester(policy());
    const result = await tester.review({ object: yamlConfigMap, dryRun: true });
    expectAllowed(result);
    expectLabels(result, { owner: "payments", team: "payments" });
    expectAnnotations(result, { "dry-run": "yes", "capstan-test.capstan.dev/policy": "succeeded" });
    expectPatched(result, { "data.color": "blue", "/metadata/labels/missing": undefined });
    expectMatched(result, "policy/0-mutate-configmap", "policy/1-validate-configmap");
    expect(result.patch).toContainEqual({ op: "add", path: "/metadata/labels/owner", value: "payments" });
    expect(result.trace[0]).toMatchObject({ binding: "policy/0-mutate-configmap", outcome: "mutated" });
    expect(result.warnings).toEqual([]);
  });

  it("denies with a code and warnings", async () => {
    const tester = admissionTester(policy());
    const result = await tester.validate({
      object: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "x", namespace: "apps" },
        data: { password: "p" },
      },
    });
    expectDenied(result, /no passwords/, { code: 422 });
    expectWarnings(result, "use a Secret");
    expectUnchanged(result);
  });

  it("shows which filter kept a binding away", async () => {
    const tester = admissionTester(policy());
    const elsewhere = await tester.mutate({
      object: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "x", namespace: "other", labels: { team: "a" } },
      },
    });
    expectNotMatched(elsewhere);
    expectUnchanged(elsewhere);
    expect(elsewhere.skipped).toEqual([
      { binding: "policy/0-mutate-configmap", reason: 'namespace "other" is outside the capability\'s namespaces' },
    ]);
  });

  it("judges DELETE on the old object and the user", async () => {
    const tester = admissionTester(policy());
    expectDenied(await tester.review({ operation: "DELETE", oldObject: yamlConfigMap }), "only admin deletes");
    expectAllowed(
      await tester.review({ operation: "DELETE", oldObject: yamlConfigMap, userInfo: { username: "admin" } }),
    );
  });

  it("applies the module's error policy: a throwing mutate under audit is dropped with a warning", async () => {
    const capability = new Capability({ name: "flaky", description: "" });
    capability
      .When(ConfigMap)
      .IsCreated()
      .Mutate(() => {
        throw new Error("boom");
      });
    const audit = admissionTester(capability, { config: { onError: "audit" } });
    const result = await audit.mutate({ object: yamlConfigMap });
    expectAllowed(result);
    expectWarnings(result, /boom/);
    expect(result.trace).toEqual([
      { binding: "flaky/0-mutate-configmap", action: "mutate", outcome: "threw", message: "boom" },
    ]);
    const reject = admissionTester(
      new PeprModule({ pepr: { uuid: "strict", onError: "reject" } }, [capability], { deferStart: true }),
    );
    expectDenied(await reject.mutate({ object: yamlConfigMap }), /boom/, { code: 500 });
  });

  it("fails with a message naming the binding and the field", async () => {
    const tester = admissionTester(policy());
    const result = await tester.review({ object: yamlConfigMap });
    const error = captured(() => expectLabels(result, { owner: "billing" }));
    expect(error.field).toBe("/metadata/labels/owner");
    expect(error.bindings).toEqual(["policy/0-mutate-configmap"]);
    expect(error.message).toContain('expected: "billing"');
    expect(error.message).toContain('actual:   "payments"');
    expect(error.message).toContain("set by policy/0-mutate-configmap");

    const denied = captured(() => expectDenied(result, "nope"));
    expect(denied.message).toMatch(/to be denied, but it was allowed/);
    expect(denied.bindings).toContain("policy/1-validate-configmap");

    const unreached = await tester.mutate({
      object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "y", namespace: "apps" } },
    });
    const missing = captured(() => expectLabels(unreached, { owner: "x" }));
    expect(missing.message).toContain("policy/0-mutate-configmap: label team does not match");
  });
});

function captured(run: () => void): ExpectationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ExpectationError) return error;
    throw error;
  }
  throw new Error("the expectation did not fail");
}
