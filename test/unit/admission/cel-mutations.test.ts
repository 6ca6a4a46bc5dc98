import { describe, expect, it } from "vitest";
import { celPolicies } from "../../../src/admission/cel-policies.ts";
import { moduleCelPolicies } from "../../../src/build/cel-policies.ts";
import { describeCapability } from "../../../src/build/module-description.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { MutateCelSpec } from "../../../src/model/cel-mutation.ts";
import { PeprModule } from "../../../src/model/module.ts";

function moduleWith(spec: MutateCelSpec, onError = "reject") {
  const cap = new Capability({ name: "defaults", description: "d", namespaces: ["app"] });
  cap.When(a.Pod).IsCreated().WithLabel("run").MutateCEL(spec);
  return new PeprModule({ capstan: { uuid: "u1", onError } } as never, [cap], { deferStart: true });
}

describe("MutateCEL", () => {
  it("compiles to a MutatingAdmissionPolicy and its binding with the chain's match, labels first, then defaults, then raw expressions", () => {
    const module = moduleWith({
      labels: { team: "a" },
      annotations: { "x.io/y": "z" },
      defaultLabels: { tier: "b" },
      jsonPatch: "[JSONPatch{op: 'add', path: '/spec/priority', value: 1}]",
    });
    const [pair] = celPolicies(module);
    expect(pair?.policy).toMatchObject({
      kind: "MutatingAdmissionPolicy",
      metadata: { name: "capstan-u1-defaults-0-mutate-cel-pod", labels: { "capstan.dev/uuid": "u1" } },
      spec: {
        failurePolicy: "Fail",
        reinvocationPolicy: "IfNeeded",
        matchConstraints: {
          resourceRules: [
            expect.objectContaining({ operations: ["CREATE"], resources: ["pods", "pods/ephemeralcontainers"] }),
          ],
        },
        matchConditions: [{ name: "label-0", expression: expect.stringContaining("'run' in object.metadata.labels") }],
        mutations: [
          {
            patchType: "ApplyConfiguration",
            applyConfiguration: {
              expression: "Object{metadata: Object.metadata{labels: {'team': 'a'}, annotations: {'x.io/y': 'z'}}}",
            },
          },
          {
            patchType: "ApplyConfiguration",
            applyConfiguration: {
              expression:
                "Object{metadata: Object.metadata{labels: (has(object.metadata.labels) && 'tier' in object.metadata.labels) ? {} : {'tier': 'b'}}}",
            },
          },
          {
            patchType: "JSONPatch",
            jsonPatch: { expression: "[JSONPatch{op: 'add', path: '/spec/priority', value: 1}]" },
          },
        ],
      },
    });
    expect(pair?.binding).toEqual({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingAdmissionPolicyBinding",
      metadata: { name: "capstan-u1-defaults-0-mutate-cel-pod", labels: { "capstan.dev/uuid": "u1" } },
      spec: { policyName: "capstan-u1-defaults-0-mutate-cel-pod" },
    });
    expect(
      (pair?.policy.spec as { matchConstraints: { namespaceSelector: unknown } } | undefined)?.matchConstraints
        .namespaceSelector,
    ).toMatchObject({
      matchExpressions: expect.arrayContaining([
        { key: "kubernetes.io/metadata.name", operator: "In", values: ["app"] },
      ]),
    });
  });

  it("fails open under onError ignore or audit, as a Mutate callback would", () => {
    const [pair] = celPolicies(moduleWith({ labels: { team: "a" } }, "ignore"));
    expect((pair?.policy.spec as { failurePolicy: string } | undefined)?.failurePolicy).toBe("Ignore");
  });

  it("goes into the manifests through the module description", () => {
    const module = moduleWith({ defaultAnnotations: { "a.io/b": "c" } });
    const objects = moduleCelPolicies(
      { config: module.config, capabilities: module.capabilities.map(describeCapability) } as never,
      "capstan-system",
    );
    expect(objects.map((o) => o.kind)).toEqual(["MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"]);
  });

  it.each([
    [
      {},
      "MutateCEL needs at least one of labels, annotations, defaultLabels, defaultAnnotations, applyConfiguration, jsonPatch",
    ],
    [{ label: { a: "b" } }, 'unknown MutateCEL field "label"'],
    [{ labels: { "bad key!": "x" } }, 'labels: "bad key!" is not a valid key'],
    [{ labels: { team: "has space" } }, 'labels["team"]: "has space" is not a valid label value'],
    [{ annotations: { note: 3 } }, 'annotations["note"] must be a string'],
    [{ jsonPatch: " " }, "jsonPatch must be a non-empty CEL string"],
  ])("refuses %j with the file, capability and binding", (spec, message) => {
    const cap = new Capability({ name: "defaults", description: "d" });
    expect(() =>
      cap
        .When(a.Pod)
        .IsCreated()
        .MutateCEL(spec as MutateCelSpec),
    ).toThrow(
      new RegExp(
        `cel-mutations\\.test\\.ts:\\d+:\\d+: Capability defaults, MutateCEL on Pod \\(binding 0\\): ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
      ),
    );
  });

  it("allows annotation values that are not valid label values", () => {
    expect(() => moduleWith({ annotations: { note: "any text, with spaces" } })).not.toThrow();
  });
});
