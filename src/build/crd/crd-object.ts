import { type JsonSchema, objectSchema } from "./schema.ts";
import type { CrdDefinition } from "./shapes.ts";

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; plural: string; singular: string; shortNames?: string[] };
    scope: "Namespaced" | "Cluster";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      schema: { openAPIV3Schema: JsonSchema };
    }[];
  };
}

/** The `apiextensions.k8s.io/v1` CRD for one kind, with the status subresource enabled. */
export function crdOf(definition: CrdDefinition): CustomResourceDefinition {
  const spec = objectSchema(definition.spec.properties, definition.specDescription);
  const properties: Record<string, JsonSchema> = { spec };
  if (definition.status) properties.status = objectSchema(definition.status.properties, definition.statusDescription);
  const root: JsonSchema = { type: "object" };
  if (definition.description) root.description = definition.description;
  root.properties = properties;
  if (spec.required) root.required = ["spec"];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${definition.plural}.${definition.group}` },
    spec: {
      group: definition.group,
      names: {
        kind: definition.kind,
        plural: definition.plural,
        singular: definition.kind.toLowerCase(),
        ...(definition.shortNames.length > 0 ? { shortNames: [...definition.shortNames] } : {}),
      },
      scope: definition.scope,
      versions: [
        {
          name: definition.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: root },
        },
      ],
    },
  };
}

/** `Widget` → `widgets`, `Policy` → `policies`, `Box` → `boxes`. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}
