import { describe, expect, it } from "vitest";
import type { KindClass } from "../../../src/k8s/kinds.ts";
import * as a from "../../../src/k8s/models.ts";
import type { AdmissionRequest } from "../../../src/model/admission-request.ts";
import type { Binding } from "../../../src/model/binding.ts";
import { Capability } from "../../../src/model/capability.ts";
import {
  admissionSkipReason,
  carriedNamespace,
  shouldSkipAdmission,
  watchSkipReason,
} from "../../../src/model/filters.ts";
import type { BindingFilter } from "../../../src/model/when-types.ts";

function bindingOf<T extends KindClass>(
  model: T,
  build: (when: ReturnType<Capability["When"]>) => BindingFilter<T>,
): Binding {
  const capability = new Capability({ name: "f", description: "d" });
  build(capability.When(model)).Mutate(() => {});
  return capability.bindings[0] as Binding;
}

function request(
  operation: AdmissionRequest["operation"],
  metadata: Record<string, unknown>,
  kind = "ConfigMap",
): AdmissionRequest {
  const object = { metadata };
  return {
    uid: "u",
    operation,
    kind: { group: "", version: "v1", kind },
    resource: { group: "", version: "v1", resource: "configmaps" },
    name: String(metadata.name ?? ""),
    namespace: metadata.namespace as string | undefined,
    userInfo: {},
    object: operation === "DELETE" ? (undefined as never) : object,
    oldObject: operation === "CREATE" ? undefined : object,
  };
}

describe("admission filters", () => {
  it("match on event, kind, name, namespace, labels, annotations and regexes", () => {
    const binding = bindingOf(a.ConfigMap, (w) =>
      w
        .IsCreatedOrUpdated()
        .InNamespace("a")
        .WithNameRegex(/^cfg-/)
        .WithLabel("team", "x")
        .WithLabel("tier")
        .WithAnnotation("owner", "me"),
    );
    const good = { name: "cfg-1", namespace: "a", labels: { team: "x", tier: "1" }, annotations: { owner: "me" } };
    expect(admissionSkipReason(binding, request("CREATE", good), [], [])).toBe("");
    expect(admissionSkipReason(binding, request("UPDATE", good), [], [])).toBe("");
    expect(admissionSkipReason(binding, request("DELETE", good), [], [])).toMatch(/operation DELETE/);
    expect(admissionSkipReason(binding, request("CREATE", good, "Secret"), [], [])).toMatch(/kind Secret/);
    expect(admissionSkipReason(binding, request("CREATE", { ...good, namespace: "b" }), [], [])).toMatch(
      /not one of a/,
    );
    expect(admissionSkipReason(binding, request("CREATE", { ...good, name: "x" }), [], [])).toMatch(
      /name does not match/,
    );
    expect(
      admissionSkipReason(binding, request("CREATE", { ...good, labels: { team: "y", tier: "1" } }), [], []),
    ).toMatch(/label team/);
    // As Pepr: WithLabel("tier") matches the key with any value, the empty one included.
    expect(admissionSkipReason(binding, request("CREATE", { ...good, labels: { team: "x", tier: "" } }), [], [])).toBe(
      "",
    );
    expect(admissionSkipReason(binding, request("CREATE", { ...good, labels: { team: "x" } }), [], [])).toMatch(
      /label tier/,
    );
    expect(admissionSkipReason(binding, request("CREATE", { ...good, annotations: {} }), [], [])).toMatch(
      /annotation owner/,
    );
    expect(admissionSkipReason(binding, request("CREATE", good), ["b"], [])).toMatch(/outside the capability/);
    expect(shouldSkipAdmission(binding, request("CREATE", good), [], ["a"])).toBe(true);
  });

  it("judge DELETE on oldObject and never match deletionTimestamp on a DELETE binding", () => {
    const onDelete = bindingOf(a.ConfigMap, (w) => w.IsDeleted().WithName("gone"));
    expect(admissionSkipReason(onDelete, request("DELETE", { name: "gone", namespace: "a" }), [], [])).toBe("");
    const misbound = bindingOf(a.ConfigMap, (w) => w.IsDeleted().WithDeletionTimestamp());
    expect(
      admissionSkipReason(
        misbound,
        request("DELETE", { name: "x", deletionTimestamp: "2026-01-01T00:00:00Z" }),
        [],
        [],
      ),
    ).toMatch(/never matches/);
    const deleting = bindingOf(a.ConfigMap, (w) => w.IsUpdated().WithDeletionTimestamp());
    expect(admissionSkipReason(deleting, request("UPDATE", { name: "x" }), [], [])).toMatch(/no deletionTimestamp/);
    expect(admissionSkipReason(deleting, request("UPDATE", { name: "x", deletionTimestamp: "t" }), [], [])).toBe("");
  });

  it("treat a Namespace's own name as its namespace", () => {
    expect(carriedNamespace({ metadata: { name: "team-a" } }, "Namespace")).toBe("team-a");
    expect(carriedNamespace({ metadata: { name: "n1" } }, "Node")).toBe("");
    const binding = bindingOf(a.Namespace, (w) => w.IsCreated());
    expect(admissionSkipReason(binding, request("CREATE", { name: "team-a" }, "Namespace"), ["team-a"], [])).toBe("");
    expect(
      admissionSkipReason(binding, request("CREATE", { name: "kube-system" }, "Namespace"), [], ["kube-system"]),
    ).toMatch(/ignored/);
  });
});

describe("watch filters", () => {
  it("apply the object filters and refuse namespace filters on Namespace objects", () => {
    const binding = bindingOf(a.ConfigMap, (w) =>
      w
        .IsCreated()
        .InNamespaceRegex(/^team-/)
        .WithLabel("app"),
    );
    expect(watchSkipReason(binding, { metadata: { namespace: "team-a", labels: { app: "x" } } }, [], [])).toBe("");
    expect(watchSkipReason(binding, { metadata: { namespace: "other", labels: { app: "x" } } }, [], [])).toMatch(
      /regex/,
    );
    const namespaces = bindingOf(a.Namespace, (w) => w.IsCreated().InNamespace("x"));
    expect(watchSkipReason(namespaces, { metadata: { name: "x" } }, [], [])).toBe(
      "Cannot use namespace filter on a namespace object.",
    );
  });
});
