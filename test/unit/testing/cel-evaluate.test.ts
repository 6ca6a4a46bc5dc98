import { describe, expect, it } from "vitest";
import { type CelPolicyUnderTest, evaluateCelPolicy } from "../../../src/testing/cel-evaluate.ts";
import { admissionRequest } from "../../../src/testing/requests.ts";
import { CEL_CASES, casePolicy, caseRequest, configMap } from "../../support/cel-cases.ts";

const NAMESPACE = "cel-offline";
const namespaceObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } };
const prefix = "ValidatingAdmissionPolicy 'p' with binding 'b'";

describe("offline CEL evaluation: the proof table", () => {
  it("has at least 40 cases with distinct names", () => {
    expect(CEL_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CEL_CASES.map((c) => c.name)).size).toBe(CEL_CASES.length);
  });

  it.each(CEL_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const verdict = evaluateCelPolicy(casePolicy(c, "p", "b"), caseRequest(c, NAMESPACE), { namespaceObject });
    expect(verdict.allowed).toBe(c.expect.allowed);
    expect(verdict.code).toBe(c.expect.code);
    expect(verdict.message).toBe(
      c.expect.message === undefined ? undefined : `${prefix} denied request: ${c.expect.message}`,
    );
    expect(verdict.warnings).toEqual((c.expect.warnings ?? []).map((w) => `Validation failed for ${prefix}: ${w}`));
  });
});

describe("offline CEL evaluation: beyond the API server comparison", () => {
  const create = admissionRequest({ object: configMap({ name: "x" }, NAMESPACE) });
  const policy = (over: Partial<CelPolicyUnderTest>): CelPolicyUnderTest => ({
    policyName: "p",
    bindingName: "b",
    validations: [{ expression: "has(object.data)" }],
    actions: ["Deny"],
    ...over,
  });

  it("states the client's Status message as admission.NewForbidden does", () => {
    const verdict = evaluateCelPolicy(policy({}), create);
    expect(verdict.statusMessage).toBe(
      `configmaps "x" is forbidden: ${prefix} denied request: failed expression: has(object.data)`,
    );
  });

  it("Audit records the failure as the validation_failure audit annotation and allows", () => {
    const verdict = evaluateCelPolicy(policy({ actions: ["Audit"] }), create);
    expect(verdict.allowed).toBe(true);
    expect(verdict.warnings).toEqual([]);
    expect(JSON.parse(verdict.auditAnnotations["validation.policy.admission.k8s.io/validation_failure"] ?? "")).toEqual(
      [
        {
          message: "failed expression: has(object.data)",
          policy: "p",
          binding: "b",
          expressionIndex: 0,
          validationActions: ["Audit"],
        },
      ],
    );
  });

  it("an expression that does not compile denies under failurePolicy Fail, and is ignored under Ignore", () => {
    const broken = { validations: [{ expression: "object.data +" }] };
    const denied = evaluateCelPolicy(policy(broken), create);
    expect(denied.allowed).toBe(false);
    expect(denied.message).toMatch(
      /^ValidatingAdmissionPolicy 'p' with binding 'b' denied request: compilation error: /,
    );
    expect(evaluateCelPolicy(policy({ ...broken, failurePolicy: "Ignore" }), create).allowed).toBe(true);
    const unknown = evaluateCelPolicy(policy({ validations: [{ expression: "objekt.data == null" }] }), create);
    expect(unknown.decisions[0]?.outcome).toBe("error");
  });

  it("numbers in the object are int when whole and double otherwise, as JSON decoding gives them", () => {
    const object = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "x", namespace: NAMESPACE },
      spec: { n: 3, f: 0.5 },
    };
    const verdict = evaluateCelPolicy(
      policy({
        validations: [
          { expression: "object.spec.n + 1 == 4 && object.spec.f * 2.0 == 1.0 && type(object.spec.n) == int" },
        ],
      }),
      admissionRequest({ object }),
    );
    expect(verdict.allowed).toBe(true);
  });

  it("Kubernetes list extensions: sum, min, max, lastIndexOf", () => {
    const verdict = evaluateCelPolicy(
      policy({
        validations: [
          {
            expression:
              "[1, 2, 3].sum() == 6 && [3, 1].min() == 1 && [3, 1].max() == 3 && [1, 2, 1].lastIndexOf(1) == 2",
          },
        ],
      }),
      create,
    );
    expect(verdict.decisions[0]).toMatchObject({ outcome: "admit" });
  });

  it("an unsupported Kubernetes library function fails with an error saying so", () => {
    const verdict = evaluateCelPolicy(policy({ validations: [{ expression: 'quantity("1Gi").isInteger()' }] }), create);
    expect(verdict.allowed).toBe(false);
    expect(verdict.message).toContain("quantity() is not supported offline");
    const formatted = evaluateCelPolicy(policy({ validations: [{ expression: '"%s".format(["a"]) == "a"' }] }), create);
    expect(formatted.message).toContain("format() is not supported offline");
  });

  it("docs/testing.md's example gives what the page says", () => {
    const verdict = evaluateCelPolicy(
      {
        policyName: "team-label",
        bindingName: "team-label-binding",
        validations: [
          {
            expression: "has(object.metadata.labels) && 'team' in object.metadata.labels",
            message: "a team label is required",
          },
        ],
        actions: ["Deny"],
      },
      admissionRequest({ object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "apps" } } }),
    );
    expect(verdict).toMatchObject({
      allowed: false,
      code: 422,
      message:
        "ValidatingAdmissionPolicy 'team-label' with binding 'team-label-binding' denied request: a team label is required",
    });
    expect(verdict.statusMessage).toBe(`configmaps "c" is forbidden: ${verdict.message}`);
  });
});
