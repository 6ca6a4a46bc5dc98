// CRD → TypeScript (`capstan crd types`, as Pepr users run `kfc crd`): a GenericKind class per served
// version with RegisterKind, and an interface per nested object of its structural schema. The
// output depends only on the CRD: properties sorted by name (the API server hands them back sorted,
// so a file and the cluster's copy give the same types), names derived from paths.
import { CrdSourceError } from "./shapes.ts";

/** The parts of an OpenAPI v3 structural schema the generator reads. */
export interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  nullable?: boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
}

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
}

export interface CrdDocument {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    group?: string;
    names?: { kind?: string; plural?: string };
    scope?: string;
    versions?: CrdVersion[];
  };
}

export interface GeneratedTypes {
  /** File name (no folder): `<kind>.ts`, or `<kind>-<version>.ts` when the CRD serves several versions. */
  readonly file: string;
  readonly className: string;
  readonly version: string;
  readonly source: string;
}

export interface TypesOptions {
  /** The module GenericKind and RegisterKind are imported from. Default "capstan". */
  readonly importFrom?: string;
  /** Where the CRD came from, for messages. */
  readonly origin?: string;
}

const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join("");

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const sortedProperties = (schema: JsonSchema) =>
  Object.entries(schema.properties ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const key = (name: string) => (identifier.test(name) ? name : JSON.stringify(name));

function comment(text: string | undefined, indent: string): string {
  if (!text) return "";
  const lines = text.trim().replaceAll("*/", "*\\/").split("\n");
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} *${line ? ` ${line}` : ""}`).join("\n")}\n${indent} */\n`;
}

/** Builds the interfaces of one version's schema, naming each nested object after its path. */
class Emitter {
  readonly #declarations: string[] = [];
  readonly #taken = new Set<string>();

  constructor(reserved: readonly string[]) {
    for (const name of reserved) this.#taken.add(name);
  }

  get declarations(): readonly string[] {
    return this.#declarations;
  }

  #name(wanted: string): string {
    let name = wanted;
    for (let n = 2; this.#taken.has(name); n++) name = `${wanted}${n}`;
    this.#taken.add(name);
    return name;
  }

  /** The TypeScript type of `schema`; nested objects become interfaces named `name…`. */
  type(schema: JsonSchema, name: string): string {
    const base = this.#bare(schema, name);
    return schema.nullable ? `${base} | null` : base;
  }

  #bare(schema: JsonSchema, name: string): string {
    if (schema["x-kubernetes-int-or-string"]) return "number | string";
    if (schema.enum && schema.enum.length > 0) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
    const union = schema.anyOf ?? schema.oneOf;
    if (!schema.type && union && union.length > 0) {
      const types = [...new Set(union.map((member, i) => this.type(member, `${name}${i + 1}`)))];
      return types.length === 1 ? (types[0] as string) : types.map((t) => (t.includes(" ") ? `(${t})` : t)).join(" | ");
    }
    switch (schema.type) {
      case "string":
        return "string";
      case "integer":
      case "number":
        return "number";
      case "boolean":
        return "boolean";
      case "array": {
        const item = this.type(schema.items ?? {}, name);
        return /[ |]/.test(item) ? `(${item})[]` : `${item}[]`;
      }
      case "object":
      case undefined:
        return this.#object(schema, name);
      default:
        return "unknown";
    }
  }

  #object(schema: JsonSchema, name: string): string {
    const properties = sortedProperties(schema);
    const open = schema["x-kubernetes-preserve-unknown-fields"] === true || schema["x-kubernetes-embedded-resource"];
    if (properties.length === 0) {
      const extra = schema.additionalProperties;
      if (extra && typeof extra === "object") return `Record<string, ${this.type(extra, `${name}Value`)}>`;
      return schema.type === "object" || open || extra === true ? "Record<string, unknown>" : "unknown";
    }
    const interfaceName = this.#name(name);
    const required = new Set(schema.required ?? []);
    const fields = properties.map(
      ([field, child]) =>
        `${comment(child.description, "  ")}  ${key(field)}${required.has(field) ? "" : "?"}: ${this.type(child, `${name}${pascal(field)}`)};`,
    );
    if (open) fields.push("  [key: string]: unknown;");
    this.#declarations.push(
      `${comment(schema.description, "")}export interface ${interfaceName} {\n${fields.join("\n")}\n}\n`,
    );
    return interfaceName;
  }
}

function versionTypes(crd: CrdDocument, version: CrdVersion, className: string, options: TypesOptions): string {
  const spec = crd.spec ?? {};
  const schema = version.schema?.openAPIV3Schema;
  const where = `CRD ${crd.metadata?.name ?? "(unnamed)"} version ${version.name}`;
  if (!schema)
    throw new CrdSourceError(`${where} has no schema.openAPIV3Schema: there is nothing to generate types from`);
  const emitter = new Emitter([className]);
  const required = new Set(schema.required ?? []);
  const fields: string[] = [];
  for (const [field, child] of sortedProperties(schema)) {
    if (field === "apiVersion" || field === "kind" || field === "metadata") continue;
    const type = emitter.type(child, `${className}${pascal(field)}`);
    // A required top-level field is set by whoever builds the object: declared, not initialised.
    fields.push(`${comment(child.description, "  ")}  ${key(field)}${required.has(field) ? "!" : "?"}: ${type};`);
  }
  const registration = [
    ["group", spec.group ?? ""],
    ["version", version.name],
    ["kind", spec.names?.kind ?? ""],
    ["plural", spec.names?.plural ?? ""],
    ...(spec.scope === "Cluster" ? [["namespaced", false]] : []),
  ]
    .map(([field, value]) => `${field}: ${JSON.stringify(value)}`)
    .join(", ");
  return [
    `// Generated by \`capstan crd types\` from CRD ${crd.metadata?.name ?? kindOf(crd)} ${version.name}; regenerate instead of editing.`,
    `import { GenericKind, RegisterKind } from ${JSON.stringify(options.importFrom ?? "capstan")};`,
    "",
    `${comment(schema.description, "")}export class ${className} extends GenericKind {`,
    ...fields,
    "}",
    "",
    ...emitter.declarations,
    `RegisterKind(${className}, { ${registration} });`,
    "",
  ].join("\n");
}

const kindOf = (crd: CrdDocument) => crd.spec?.names?.kind ?? "(unnamed)";

/** Types for every served version of one CRD. */
export function typesFromCrd(crd: CrdDocument, options: TypesOptions = {}): GeneratedTypes[] {
  const origin = options.origin ?? "input";
  if (crd.kind !== "CustomResourceDefinition" || !crd.apiVersion?.startsWith("apiextensions.k8s.io/")) {
    throw new CrdSourceError(
      `${origin}: not a CustomResourceDefinition (kind ${crd.kind ?? "missing"}, apiVersion ${crd.apiVersion ?? "missing"})`,
    );
  }
  const kind = crd.spec?.names?.kind;
  if (!kind || !identifier.test(kind)) throw new CrdSourceError(`${origin}: spec.names.kind is missing or not a name`);
  const served = (crd.spec?.versions ?? []).filter((version) => version.served !== false);
  if (served.length === 0) throw new CrdSourceError(`${origin}: CRD ${crd.metadata?.name} serves no version`);
  const several = served.length > 1;
  return served.map((version) => {
    const className = several ? `${kind}${pascal(version.name)}` : kind;
    return {
      file: several ? `${kind.toLowerCase()}-${version.name}.ts` : `${kind.toLowerCase()}.ts`,
      className,
      version: version.name,
      source: versionTypes(crd, version, className, options),
    };
  });
}
