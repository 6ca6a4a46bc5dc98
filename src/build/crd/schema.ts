import type { PropertyShape, TypeShape } from "./shapes.ts";

/** An OpenAPI v3 schema as `apiextensions.k8s.io/v1` accepts it (the subset the generator writes). */
export interface JsonSchema {
  type?: "string" | "number" | "integer" | "boolean" | "array" | "object";
  format?: string;
  description?: string;
  enum?: (string | number)[];
  nullable?: boolean;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** The structural schema for a shape. */
export function schemaOf(shape: TypeShape): JsonSchema {
  switch (shape.kind) {
    case "string":
      return shape.format ? { type: "string", format: shape.format } : { type: "string" };
    case "number":
    case "integer":
    case "boolean":
      return { type: shape.kind };
    case "enum":
      return {
        type: shape.values.every((value) => typeof value === "string") ? "string" : "number",
        enum: [...shape.values],
      };
    case "array":
      return { type: "array", items: schemaOf(shape.items) };
    case "map":
      return { type: "object", additionalProperties: schemaOf(shape.values) };
    case "unknown":
      return { "x-kubernetes-preserve-unknown-fields": true };
    case "object":
      return objectSchema(shape.properties);
  }
}

/** An object schema; `description` goes first so the YAML reads top-down. */
export function objectSchema(properties: readonly PropertyShape[], description?: string): JsonSchema {
  const schema: JsonSchema = { type: "object" };
  if (description) schema.description = description;
  schema.properties = Object.fromEntries(properties.map((property) => [property.name, propertySchema(property)]));
  const required = properties.filter((property) => !property.optional).map((property) => property.name);
  if (required.length > 0) schema.required = required;
  return schema;
}

function propertySchema(property: PropertyShape): JsonSchema {
  const schema = schemaOf(property.shape);
  const described: JsonSchema = property.description ? { description: property.description, ...schema } : schema;
  return property.nullable ? { ...described, nullable: true } : described;
}
