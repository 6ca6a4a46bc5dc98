/** The shape of a TypeScript type, as far as an OpenAPI v3 schema can say it. */
export type TypeShape =
  | { readonly kind: "string"; readonly format?: "date-time" }
  | { readonly kind: "number" }
  | { readonly kind: "integer" }
  | { readonly kind: "boolean" }
  | { readonly kind: "enum"; readonly values: readonly (string | number)[] }
  | { readonly kind: "array"; readonly items: TypeShape }
  | { readonly kind: "object"; readonly properties: readonly PropertyShape[] }
  | { readonly kind: "map"; readonly values: TypeShape }
  | { readonly kind: "unknown" };

export interface PropertyShape {
  /** Already uncapitalised. */
  readonly name: string;
  readonly shape: TypeShape;
  readonly optional: boolean;
  readonly nullable?: boolean;
  readonly description?: string;
}

export type CrdScope = "Namespaced" | "Cluster";

/** One custom resource kind read from `api/<version>/<file>.ts`. */
export interface CrdDefinition {
  readonly sourceFile: string;
  /** Fully qualified: `<group>.<domain>`. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: CrdScope;
  readonly shortNames: readonly string[];
  readonly description?: string;
  readonly spec: TypeShape & { readonly kind: "object" };
  readonly specDescription?: string;
  readonly status?: TypeShape & { readonly kind: "object" };
  readonly statusDescription?: string;
}

/** A type in `api/` that cannot become a CRD schema; the message names the file and the type. */
export class CrdSourceError extends Error {
  override readonly name = "CrdSourceError";
}
