import { describe, expect, it } from "vitest";
import { bindingCondition, celString, isPortableRegex } from "../../../src/admission/cel.ts";
import * as a from "../../../src/k8s/models.ts";
import type { Binding } from "../../../src/model/binding.ts";
import { Capability } from "../../../src/model/capability.ts";

describe("CEL helpers", () => {
  it("quote strings safely", () => {
    expect(celString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });

  it("push down only regexes RE2 reads the same way", () => {
    expect(isPortableRegex(/^team-[a-z]+\d$/)).toBe(true);
    expect(isPortableRegex(/^team-/i)).toBe(false);
    expect(isPortableRegex(/(?=x)/)).toBe(false);
    expect(isPortableRegex(/(a)\1/)).toBe(false);
  });

  it("turns a binding's filters into one condition, checking oldObject for DELETE", () => {
    const capability = new Capability({ name: "c", description: "d", namespaces: ["a", "b"] });
    capability
      .When(a.ConfigMap)
      .IsDeleted()
      .WithName("x")
      .WithLabel("team", "blue")
      .WithAnnotation("flag")
      .InNamespaceRegex(/^a$/)
      .Mutate(() => {});
    const condition = bindingCondition(capability.bindings[0] as Binding, capability.namespaces);
    expect(condition).toContain("request.kind.group == '' && request.kind.kind == 'ConfigMap'");
    expect(condition).toContain("request.operation in ['DELETE']");
    expect(condition).toContain("request.namespace in ['a', 'b']");
    expect(condition).toContain("request.namespace.matches('^a$')");
    expect(condition).toContain("oldObject.metadata.name == 'x'");
    expect(condition).toContain("oldObject.metadata.labels['team'] == 'blue'");
    expect(condition).toContain("'flag' in oldObject.metadata.annotations");
    expect(condition).not.toContain("oldObject.metadata.annotations['flag']");
    expect(condition).not.toMatch(/\bobject\.metadata/);
  });

  it("chooses object or oldObject by operation for bindings that include DELETE, and skips namespaces for cluster kinds", () => {
    const capability = new Capability({ name: "c", description: "d" });
    capability
      .When(a.Node)
      .IsCreatedOrUpdated()
      .WithLabel("x")
      .Validate(() => ({ allowed: true }));
    capability
      .When(a.ConfigMap)
      .IsCreated()
      .Watch(() => {})
      .Finalize(() => true);
    capability
      .When(a.Secret)
      .IsCreated()
      .WithName("s")
      .Watch(() => {})
      .Finalize(() => true);
    const [node, , finalizer, , , named] = capability.bindings as Binding[];
    expect(bindingCondition(node as Binding, ["ignored-for-cluster-kinds"])).not.toContain("request.namespace");
    expect(bindingCondition(finalizer as Binding, [])).toBe(
      "(request.kind.group == '' && request.kind.kind == 'ConfigMap') && (request.operation in ['CREATE', 'UPDATE', 'DELETE'])",
    );
    expect(bindingCondition(named as Binding, [])).toContain(
      "request.operation == 'DELETE' ? (has(oldObject.metadata.name) && oldObject.metadata.name == 's') : (has(object.metadata.name) && object.metadata.name == 's')",
    );
  });
});
