import { describe, expect, it } from "vitest";
import * as a from "../../../src/k8s/models.ts";
import { GenericKind } from "../../../src/k8s/models.ts";
import type { AdmissionRequest } from "../../../src/model/admission-request.ts";
import { Capability } from "../../../src/model/capability.ts";
import { FINALIZER } from "../../../src/model/finalizer.ts";
import { PeprMutateRequest } from "../../../src/model/mutate-request.ts";

describe("the When chain", () => {
  it("records one binding per action with the chain's event, filters and alias", () => {
    const capability = new Capability({ name: "demo", description: "d" });
    const { When } = capability;
    const mutate = () => {};
    const validate = () => ({ allowed: true });
    const watch = () => {};
    When(a.Pod)
      .IsCreatedOrUpdated()
      .InNamespace("a")
      .WithName("x")
      .WithLabel("team", "blue")
      .WithAnnotation("note")
      .Alias("pods")
      .Mutate(mutate)
      .Validate(validate)
      .Reconcile(watch);
    const [m, v, r] = capability.bindings;
    expect(capability.bindings).toHaveLength(3);
    expect(m).toMatchObject({
      event: "CREATEORUPDATE",
      isMutate: true,
      action: "mutate",
      alias: "pods",
      name: "0-mutate-pod",
    });
    expect(m?.mutateCallback).toBe(mutate);
    expect(v).toMatchObject({ isValidate: true, name: "1-validate-pod", capability: "demo" });
    expect(r).toMatchObject({ isWatch: true, isQueue: true, action: "reconcile" });
    expect(m?.filters).toBe(r?.filters);
    expect(m?.filters).toMatchObject({
      namespaces: ["a"],
      name: "x",
      labels: { team: "blue" },
      annotations: { note: "" },
    });
    expect(m?.kind).toMatchObject({ kind: "Pod", group: "", version: "v1", plural: "pods", namespaced: true });
  });

  it("keeps regexes with their flags and sources", () => {
    const capability = new Capability({ name: "regex", description: "d" });
    capability
      .When(a.ConfigMap)
      .IsCreated()
      .InNamespaceRegex(/^team-/i)
      .WithNameRegex(/cfg$/)
      .Watch(() => {});
    const filters = capability.bindings[0]?.filters;
    expect(filters?.namespaceRegExps[0]?.flags).toBe("i");
    expect(filters?.regexNamespaces).toEqual(["^team-"]);
    expect(filters?.regexName).toBe("cfg$");
  });

  it("Finalize registers a finalizer-adding mutate binding and a finalize watch binding without the queue", () => {
    const capability = new Capability({ name: "fin", description: "d" });
    const finalize = () => true;
    capability
      .When(a.ConfigMap)
      .IsCreatedOrUpdated()
      .Reconcile(() => {})
      .Finalize(finalize);
    const [, mutate, watch] = capability.bindings;
    expect(mutate).toMatchObject({ event: "*", isMutate: true, isFinalize: true, action: "finalize-mutate" });
    expect(watch).toMatchObject({ event: "UPDATE", isWatch: true, isFinalize: true, action: "finalize" });
    expect(watch?.isQueue).toBeUndefined();
    expect(watch?.finalizeCallback).toBe(finalize);
    const request = {
      uid: "1",
      operation: "CREATE",
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      object: { metadata: { name: "x" } },
    } as unknown as AdmissionRequest;
    const wrapped = new PeprMutateRequest(request);
    mutate?.mutateCallback?.(wrapped);
    mutate?.mutateCallback?.(wrapped);
    expect(wrapped.Raw.metadata?.finalizers).toEqual([FINALIZER]);
  });

  it("throws Pepr's message for an unknown kind, and accepts it with a GVK", () => {
    class Widget extends GenericKind {}
    const capability = new Capability({ name: "crd", description: "d" });
    expect(() => capability.When(Widget)).toThrow("Kind not specified for Widget");
    capability
      .When(Widget, { group: "example.com", version: "v1", kind: "Widget" })
      .IsCreated()
      .Watch(() => {});
    expect(capability.bindings[0]?.kind.apiVersion).toBe("example.com/v1");
  });

  it("rejects invalid definitions at load, naming the binding", () => {
    expect(() => new Capability({ name: "Bad_Name", description: "d" })).toThrow(
      /not a valid Kubernetes resource name.*bad-name/,
    );
    const scoped = new Capability({ name: "scoped", description: "d", namespaces: ["a", "b"] });
    expect(() =>
      scoped
        .When(a.Pod)
        .IsCreated()
        .InNamespace("c")
        .Mutate(() => {}),
    ).toThrow(/scoped\/0-mutate-pod.*InNamespace\(c\) is outside the capability's namespaces \[a, b\]/);
    expect(() =>
      scoped
        .When(a.Pod)
        .IsCreated()
        .InNamespaceRegex(/^z/)
        .Watch(() => {}),
    ).toThrow(/matches none/);
    const cluster = new Capability({ name: "cluster", description: "d" });
    expect(() =>
      cluster
        .When(a.Node)
        .IsCreated()
        .InNamespaceRegex(/x/)
        .Alias("nodes")
        .Watch(() => {}),
    ).toThrow(/cluster\/0-watch-node \(nodes\).*cluster-scoped/);
  });
});
