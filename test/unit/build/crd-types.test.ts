import { describe, expect, it } from "vitest";
import { type CrdDocument, type JsonSchema, typesFromCrd } from "../../../src/build/crd/types-from-crd.ts";

const crd = (versions: NonNullable<CrdDocument["spec"]>["versions"]): CrdDocument => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "boxes.example.dev" },
  spec: { group: "example.dev", names: { kind: "Box", plural: "boxes" }, scope: "Namespaced", versions },
});
const schema = (properties: Record<string, JsonSchema>) => ({ openAPIV3Schema: { type: "object", properties } });

describe("typesFromCrd", () => {
  it("sorts properties, so the order of a file and of the API server's copy give one output", () => {
    const a = typesFromCrd(
      crd([
        {
          name: "v1",
          served: true,
          schema: schema({ spec: { type: "object", properties: { b: { type: "string" }, a: { type: "integer" } } } }),
        },
      ]),
    );
    const b = typesFromCrd(
      crd([
        {
          name: "v1",
          served: true,
          schema: schema({ spec: { type: "object", properties: { a: { type: "integer" }, b: { type: "string" } } } }),
        },
      ]),
    );
    expect(a).toEqual(b);
    expect(a[0]?.source).toMatch(/ {2}a\?: number;\n {2}b\?: string;/);
    expect(a[0]?.source).toContain('import { GenericKind, RegisterKind } from "capstan";');
  });

  it("names nested interfaces after their path and keeps two of one name apart", () => {
    const [types] = typesFromCrd(
      crd([
        {
          name: "v1",
          served: true,
          schema: schema({
            spec: { type: "object", properties: { lid: { type: "object", properties: { x: { type: "string" } } } } },
            specLid: { type: "object", properties: { y: { type: "string" } } },
          }),
        },
      ]),
      { importFrom: "kubernetes-fluent-client" },
    );
    expect(types?.source).toContain("export interface BoxSpecLid {");
    expect(types?.source).toContain("export interface BoxSpecLid2 {");
    expect(types?.source).toContain('from "kubernetes-fluent-client"');
  });

  it("says what is wrong with input it cannot use", () => {
    expect(() => typesFromCrd({ apiVersion: "v1", kind: "Pod" }, { origin: "pod.yaml#0" })).toThrow(
      "pod.yaml#0: not a CustomResourceDefinition (kind Pod, apiVersion v1)",
    );
    expect(() => typesFromCrd(crd([{ name: "v1", served: false }]))).toThrow("serves no version");
    expect(() => typesFromCrd(crd([{ name: "v1", served: true }]))).toThrow(
      "CRD boxes.example.dev version v1 has no schema.openAPIV3Schema",
    );
  });
});
