import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../src/model/admission-request.ts";
import { PeprValidateRequest } from "../../../src/model/validate-request.ts";
import { containers, getOwnerRefFrom, sanitizeResourceName } from "../../../src/sdk/index.ts";

describe("sdk", () => {
  it("containers lists one kind of container or all of them", () => {
    const pod = {
      metadata: { name: "p" },
      spec: { containers: [{ name: "a" }], initContainers: [{ name: "i" }], ephemeralContainers: [{ name: "e" }] },
    };
    const request = new PeprValidateRequest({
      uid: "u",
      operation: "CREATE",
      object: pod,
    } as unknown as AdmissionRequest<typeof pod>);
    expect(containers(request as never).map((c) => c.name)).toEqual(["a", "i", "e"]);
    expect(containers(request as never, "initContainers").map((c) => c.name)).toEqual(["i"]);
  });

  it("getOwnerRefFrom builds an owner reference and needs a uid", () => {
    const cr = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", uid: "123" } };
    expect(getOwnerRefFrom(cr, true, false)).toEqual([
      {
        apiVersion: "example.com/v1",
        kind: "Widget",
        name: "w",
        uid: "123",
        blockOwnerDeletion: true,
        controller: false,
      },
    ]);
    expect(getOwnerRefFrom(cr)[0]).not.toHaveProperty("controller");
    expect(() => getOwnerRefFrom({ metadata: { name: "w" } })).toThrow(/metadata.uid/);
  });

  it("re-exports sanitizeResourceName", () => {
    expect(sanitizeResourceName("Hello World")).toBe("hello-world");
  });
});
