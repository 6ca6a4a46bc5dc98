import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../src/model/admission-request.ts";
import { PeprMutateRequest } from "../../../src/model/mutate-request.ts";
import { PeprValidateRequest } from "../../../src/model/validate-request.ts";

const request = (overrides: Partial<AdmissionRequest> = {}): AdmissionRequest =>
  ({
    uid: "u",
    operation: "CREATE",
    kind: { group: "", version: "v1", kind: "ConfigMap" },
    object: { metadata: { name: "x", labels: { keep: "1", empty: "" } }, data: { a: "1" } },
    dryRun: true,
    ...overrides,
  }) as AdmissionRequest;

describe("PeprMutateRequest", () => {
  it("works on a copy of the object, and of oldObject for DELETE", () => {
    const input = request();
    const wrapped = new PeprMutateRequest(input);
    wrapped.SetLabel("new", "v");
    expect(input.object.metadata?.labels).toEqual({ keep: "1", empty: "" });
    const deleted = new PeprMutateRequest(
      request({ operation: "DELETE", object: null as never, oldObject: { metadata: { name: "old" } } }),
    );
    expect(deleted.Raw.metadata?.name).toBe("old");
    expect(() => new PeprMutateRequest(request({ object: undefined as never }))).toThrow(
      "Unable to load the request object into PeprRequest.Raw",
    );
    expect(wrapped.IsDryRun).toBe(true);
    expect(wrapped.PermitSideEffects).toBe(false);
  });

  it("has chainable label and annotation helpers with Pepr's semantics", () => {
    const wrapped = new PeprMutateRequest(request());
    wrapped.SetLabel("a", "1").SetAnnotation("b", "2").RemoveLabel("keep").RemoveLabel("empty");
    expect(wrapped.Raw.metadata?.labels).toEqual({ empty: "", a: "1" });
    expect(wrapped.HasLabel("empty")).toBe(true);
    expect(wrapped.HasAnnotation("b")).toBe(true);
    wrapped.RemoveAnnotation("b");
    expect(wrapped.HasAnnotation("b")).toBe(false);
  });

  it("Merge merges objects deeply and replaces arrays and scalars", () => {
    const wrapped = new PeprMutateRequest(
      request({ object: { metadata: { name: "x", labels: { a: "1" } }, data: { a: "1" }, list: [1, 2] } as never }),
    );
    wrapped.Merge({ metadata: { labels: { b: "2" } }, data: { a: "3" }, list: [9] } as never);
    expect(wrapped.Raw).toEqual({ metadata: { name: "x", labels: { a: "1", b: "2" } }, data: { a: "3" }, list: [9] });
  });
});

describe("PeprValidateRequest", () => {
  it("answers with Approve and Deny", () => {
    const wrapped = new PeprValidateRequest(request());
    expect(wrapped.Approve()).toEqual({ allowed: true });
    expect(wrapped.Approve(["w"])).toEqual({ allowed: true, warnings: ["w"] });
    expect(wrapped.Deny("no", 403, ["w"])).toEqual({
      allowed: false,
      statusMessage: "no",
      statusCode: 403,
      warnings: ["w"],
    });
  });
});
