import { describe, expect, it } from "vitest";
import { scopeKey } from "../../../src/informer/registry.ts";
import { stripManagedFields } from "../../../src/informer/transform.ts";
import { kindOf } from "../../../src/k8s/kinds.ts";
import { ConfigMap, Namespace } from "../../../src/k8s/models.ts";

describe("stripManagedFields", () => {
  it("drops managedFields without touching the original object", () => {
    const original = {
      kind: "ConfigMap",
      metadata: { name: "a", managedFields: [{ manager: "kubectl" }], labels: { x: "1" } },
      data: { k: "v" },
    };
    expect(stripManagedFields(original)).toEqual({
      kind: "ConfigMap",
      metadata: { name: "a", labels: { x: "1" } },
      data: { k: "v" },
    });
    expect(original.metadata.managedFields).toHaveLength(1);
  });

  it("returns objects without managedFields as they are", () => {
    const object = { kind: "ConfigMap", metadata: { name: "a" } };
    expect(stripManagedFields(object)).toBe(object);
  });
});

describe("scopeKey", () => {
  it("shares one informer per kind, namespace and selectors, ignoring namespaces of cluster-scoped kinds", () => {
    const cm = kindOf(ConfigMap);
    expect(scopeKey({ kind: cm, namespace: "a" })).toBe(scopeKey({ kind: cm, namespace: "a", labelSelector: "" }));
    expect(scopeKey({ kind: cm, namespace: "a" })).not.toBe(scopeKey({ kind: cm, namespace: "b" }));
    expect(scopeKey({ kind: cm, labelSelector: "x=1" })).not.toBe(scopeKey({ kind: cm, fieldSelector: "x=1" }));
    const ns = kindOf(Namespace);
    expect(scopeKey({ kind: ns, namespace: "a" })).toBe(scopeKey({ kind: ns }));
  });
});
