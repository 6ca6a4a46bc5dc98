import { describe, expect, it } from "vitest";
import { crdOf, pluralOf } from "../../../../src/build/crd/crd-object.ts";
import { validateScaffold } from "../../../../src/build/crd/scaffold.ts";

describe("crdOf", () => {
  it("does not require spec when the spec has no required property, and writes the kind description", () => {
    const crd = crdOf({
      sourceFile: "api/v1/thing.ts",
      group: "example.pepr.dev",
      version: "v1",
      kind: "Thing",
      plural: "things",
      scope: "Cluster",
      shortNames: [],
      description: "A thing.",
      spec: { kind: "object", properties: [{ name: "note", shape: { kind: "string" }, optional: true }] },
    });
    const root = crd.spec.versions[0]?.schema.openAPIV3Schema;
    expect(root).toEqual({
      type: "object",
      description: "A thing.",
      properties: { spec: { type: "object", properties: { note: { type: "string" } } } },
    });
    expect(crd.spec.names).toEqual({ kind: "Thing", plural: "things", singular: "thing" });
  });
});

describe("pluralOf", () => {
  it.each([
    ["Widget", "widgets"],
    ["Policy", "policies"],
    ["Gateway", "gateways"],
    ["Box", "boxes"],
    ["Mesh", "meshes"],
    ["Status", "statuses"],
  ])("%s → %s", (kind, plural) => expect(pluralOf(kind)).toBe(plural));
});

describe("validateScaffold", () => {
  it("names every bad input", () => {
    expect(() =>
      validateScaffold({
        kind: "widget",
        group: "Shop",
        version: "1",
        domain: "x_y",
        shortName: "W",
        scope: "Namespaced",
      }),
    ).toThrow(
      'crd create: kind "widget" must be PascalCase (Widget); group "Shop" must be a DNS label; version "1" must look like v1, v1alpha1 or v2beta3; domain "x_y" is not a DNS name; short name "W" must be lowercase letters and digits',
    );
  });
});
