import { describe, expect, it } from "vitest";
import { crdOf } from "../../../../src/build/crd/crd-object.ts";
import { readCrdDefinitions } from "../../../../src/build/crd/read-api.ts";
import { scaffoldSource } from "../../../../src/build/crd/scaffold.ts";
import type { JsonSchema } from "../../../../src/build/crd/schema.ts";
import { type CrdDefinition, CrdSourceError } from "../../../../src/build/crd/shapes.ts";

const WIDGET = "/virtual/api/v1alpha1/widget.ts";

/** Reads virtual `api/` files and returns each kind's root schema. */
function read(files: Record<string, string>) {
  return readCrdDefinitions(Object.keys(files), new Map(Object.entries(files)));
}

/** The CRD of the one kind in `files`. */
function onlyCrd(files: Record<string, string>) {
  const definitions = read(files);
  expect(definitions).toHaveLength(1);
  return crdOf(definitions[0] as CrdDefinition);
}

function rootSchema(source: string): JsonSchema {
  const schema = onlyCrd({ [WIDGET]: source }).spec.versions[0]?.schema.openAPIV3Schema;
  if (!schema) throw new Error("no schema");
  return schema;
}

const widgetSource = `
export const Group = "shop";
export const Domain = "example.com";

/** The desired state of a widget. */
export interface WidgetSpec {
  /** How many copies to run. */
  Replicas: number;
  /** @integer */
  port: number;
  name: string;
  enabled?: boolean;
  size: "small" | "large";
  weight?: 1 | 2 | 3;
  tags: string[];
  matrix?: readonly number[][];
  limits: { cpu: string; memory?: string };
  labels?: Record<string, string>;
  notBefore?: Date;
  nickname: string | null;
  extra?: unknown;
  merged?: { a: string } & Partial<{ b: number }>;
}

export interface WidgetStatus {
  conditions?: WidgetStatusCondition[];
}

export type WidgetStatusCondition = {
  /** When the status last changed. */
  lastTransitionTime: Date;
  status: "True" | "False" | "Unknown";
  type: string;
};
`;

describe("TypeScript types to CRD schema", () => {
  const schema = rootSchema(widgetSource);
  const spec = schema.properties?.spec;
  const property = (name: string) => spec?.properties?.[name];

  it("maps primitives, integer by @integer, arrays, nested objects, intersections, maps, Date and unknown", () => {
    expect(property("replicas")).toEqual({ description: "How many copies to run.", type: "number" });
    expect(property("port")).toEqual({ type: "integer" });
    expect(property("name")).toEqual({ type: "string" });
    expect(property("enabled")).toEqual({ type: "boolean" });
    expect(property("tags")).toEqual({ type: "array", items: { type: "string" } });
    expect(property("matrix")).toEqual({ type: "array", items: { type: "array", items: { type: "number" } } });
    expect(property("limits")).toEqual({
      type: "object",
      properties: { cpu: { type: "string" }, memory: { type: "string" } },
      required: ["cpu"],
    });
    expect(property("labels")).toEqual({ type: "object", additionalProperties: { type: "string" } });
    expect(property("notBefore")).toEqual({ type: "string", format: "date-time" });
    expect(property("nickname")).toEqual({ type: "string", nullable: true });
    expect(property("extra")).toEqual({ "x-kubernetes-preserve-unknown-fields": true });
    expect(property("merged")).toEqual({
      type: "object",
      properties: { a: { type: "string" }, b: { type: "number" } },
      required: ["a"],
    });
  });

  it("maps unions of literals to enums", () => {
    expect(property("size")).toEqual({ type: "string", enum: ["small", "large"] });
    expect(property("weight")).toEqual({ type: "number", enum: [1, 2, 3] });
  });

  it("uncapitalises names, requires non-optional properties and keeps JSDoc as description", () => {
    expect(Object.keys(spec?.properties ?? {})).toContain("replicas");
    expect(Object.keys(spec?.properties ?? {})).not.toContain("Replicas");
    expect(spec?.required).toEqual(["replicas", "port", "name", "size", "tags", "limits", "nickname"]);
    expect(spec?.description).toBe("The desired state of a widget.");
    expect(schema.required).toEqual(["spec"]);
  });

  it("maps status.conditions with Date as date-time", () => {
    const conditions = schema.properties?.status?.properties?.conditions;
    expect(conditions).toEqual({
      type: "array",
      items: {
        type: "object",
        properties: {
          lastTransitionTime: {
            description: "When the status last changed.",
            type: "string",
            format: "date-time",
          },
          status: { type: "string", enum: ["True", "False", "Unknown"] },
          type: { type: "string" },
        },
        required: ["lastTransitionTime", "status", "type"],
      },
    });
  });
});

describe("reading api/<version>/*.ts", () => {
  it("takes the group from Group and Domain, the version from the folder, and enables the status subresource", () => {
    const crd = onlyCrd({ [WIDGET]: widgetSource });
    expect(crd.metadata.name).toBe("widgets.shop.example.com");
    expect(crd.spec.group).toBe("shop.example.com");
    expect(crd.spec.names).toEqual({ kind: "Widget", plural: "widgets", singular: "widget" });
    expect(crd.spec.scope).toBe("Namespaced");
    expect(crd.spec.versions[0]).toMatchObject({ name: "v1alpha1", served: true, storage: true });
    expect(crd.spec.versions[0]?.subresources).toEqual({ status: {} });
  });

  it('defaults the group to "example.pepr.dev" and reads details and header comments', () => {
    const [definition] = read({
      "/virtual/api/v2/policy.ts": `// Kind: Policy
// Version: v2beta1
// Description: A network policy.
export interface PolicySpec { rule: string }
export const details = { plural: "policies", scope: "Cluster", shortName: "pol" };
`,
    });
    expect(definition).toMatchObject({
      group: "example.pepr.dev",
      version: "v2beta1",
      kind: "Policy",
      plural: "policies",
      scope: "Cluster",
      shortNames: ["pol"],
      description: "A network policy.",
    });
  });

  it("skips files without a <Kind>Spec and follows imports", () => {
    const definitions = read({
      "/virtual/api/v1/common.ts": "export interface Limits { cpu: string }",
      "/virtual/api/v1/box.ts":
        'import type { Limits } from "./common.ts";\nexport interface BoxSpec { limits: Limits }',
    });
    expect(definitions.map((d) => d.kind)).toEqual(["Box"]);
    expect(crdOf(definitions[0] as CrdDefinition).spec.names.plural).toBe("boxes");
  });

  it("reads what crd create scaffolds", () => {
    const source = scaffoldSource({
      kind: "Gadget",
      group: "shop",
      version: "v1",
      domain: "example.com",
      shortName: "gd",
      scope: "Namespaced",
    });
    const crd = onlyCrd({ "/virtual/api/v1/gadget.ts": source });
    expect(crd.metadata.name).toBe("gadgets.shop.example.com");
    expect(crd.spec.names.shortNames).toEqual(["gd"]);
    const condition = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.status?.properties?.conditions?.items;
    expect(condition?.required).toEqual(["lastTransitionTime", "message", "reason", "status", "type"]);
    expect(condition?.properties?.observedGeneration).toMatchObject({ type: "number" });
  });
});

describe("errors name the file and the type", () => {
  const failure = (source: string) => {
    try {
      read({ [WIDGET]: source });
    } catch (error) {
      expect(error).toBeInstanceOf(CrdSourceError);
      return (error as Error).message;
    }
    throw new Error("no error");
  };

  it("refuses unions of different types", () => {
    expect(failure("export interface WidgetSpec { size: string | number }")).toBe(
      `${WIDGET}: WidgetSpec.size has the union string | number; only unions of string literals or of number literals are supported`,
    );
  });

  it("refuses functions, recursion and tuples with the property path", () => {
    expect(failure("export interface WidgetSpec { inner: { run(): void } }")).toBe(
      `${WIDGET}: WidgetSpec.inner.run is a function type`,
    );
    expect(failure("export interface Node { next?: Node }\nexport interface WidgetSpec { head: Node }")).toMatch(
      `${WIDGET}: WidgetSpec.head.next refers to Node recursively`,
    );
    expect(failure("export interface WidgetSpec { pair: [string, number] }")).toBe(
      `${WIDGET}: WidgetSpec.pair is a tuple; use an array type`,
    );
  });

  it("refuses code that does not compile, two Spec types and a bad scope", () => {
    expect(failure("export interface WidgetSpec { x: Missing }")).toMatch(
      /widget\.ts\(1,34\): error TS2304: Cannot find name 'Missing'/,
    );
    expect(failure("export interface WidgetSpec { a: string }\nexport interface GadgetSpec { b: string }")).toBe(
      `${WIDGET}: exports WidgetSpec, GadgetSpec; add a "// Kind: <Kind>" header to pick one`,
    );
    expect(failure('export interface WidgetSpec { a: string }\nexport const details = { scope: "Global" };')).toBe(
      `${WIDGET}: details.scope must be "Namespaced" or "Cluster", not "Global"`,
    );
  });
});
