/**
 * Chart values: each value the manifests read is declared once, with its default and JSON-schema
 * type. The static YAML reads the defaults; the Helm chart reads `.Values`. Because both come from
 * the same declarations and the same object builders, the chart renders to the static YAML with
 * default values, and every value in the schema is one the templates read.
 */
export type ValueType = "string" | "integer" | "boolean" | "object" | "array";

export interface ChartValue {
  readonly path: string;
  readonly type: ValueType;
  readonly default: unknown;
  readonly description: string;
  readonly minimum?: number;
  readonly enum?: readonly string[];
}

/** How object builders read a value. */
export interface ValueReader {
  /** A whole value: a scalar field, or an object/array that replaces a field. */
  value(path: string): unknown;
  /** A string value used inside a longer string (e.g. `<repository>:<tag>`). */
  inline(path: string): string;
  /** An array value whose items are appended to a list the builder starts. */
  splice(path: string): unknown[];
}

export class ValueCatalog {
  readonly #values = new Map<string, ChartValue>();

  declare(value: ChartValue): void {
    if (this.#values.has(value.path)) throw new Error(`Chart value ${value.path} declared twice`);
    this.#values.set(value.path, value);
  }

  get(path: string): ChartValue {
    const value = this.#values.get(path);
    if (!value) throw new Error(`Chart value ${path} is read but not declared`);
    return value;
  }

  all(): readonly ChartValue[] {
    return [...this.#values.values()];
  }

  /** The values.yaml object. */
  defaults(): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const value of this.#values.values()) setPath(root, value.path, structuredClone(value.default));
    return root;
  }

  /** values.schema.json: every declared value, nothing else (`additionalProperties: false` on our objects). */
  schema(): Record<string, unknown> {
    const root: SchemaNode = objectNode("Values of the capstan module chart");
    for (const value of this.#values.values()) {
      const parts = value.path.split(".");
      let node = root;
      for (const part of parts.slice(0, -1)) {
        node.properties[part] ??= objectNode(undefined);
        node = node.properties[part] as SchemaNode;
      }
      node.properties[parts[parts.length - 1] as string] = leafSchema(value);
    }
    return { $schema: "https://json-schema.org/draft-07/schema#", ...root };
  }
}

interface SchemaNode {
  type: "object";
  description?: string;
  additionalProperties: false;
  properties: Record<string, unknown>;
}

function objectNode(description: string | undefined): SchemaNode {
  return { type: "object", ...(description ? { description } : {}), additionalProperties: false, properties: {} };
}

function leafSchema(value: ChartValue): Record<string, unknown> {
  return {
    type: value.type,
    description: value.description,
    ...(value.minimum === undefined ? {} : { minimum: value.minimum }),
    ...(value.enum ? { enum: [...value.enum] } : {}),
  };
}

function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let node = root;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/** Reads the declared defaults: what the static YAML holds. */
export function defaultsReader(catalog: ValueCatalog): ValueReader {
  return {
    value: (path) => structuredClone(catalog.get(path).default),
    inline: (path) => String(catalog.get(path).default),
    splice: (path) => structuredClone(catalog.get(path).default) as unknown[],
  };
}

// Markers the Helm writer turns into template actions after YAML serialisation. They are plain YAML
// scalars (letters, digits, `_` and `.`), so the serialiser never quotes or folds them.
export const Marker = {
  quoted: "__HELMQ__",
  raw: "__HELMR__",
  block: "__HELMB__",
  inline: "__HELMI__",
  splice: "__HELMS__",
  end: "__",
} as const;

/** Reads markers: what the Helm templates hold. */
export function markerReader(catalog: ValueCatalog): ValueReader {
  const mark = (kind: string, path: string) => `${kind}${path}${Marker.end}`;
  return {
    value: (path) => {
      const { type } = catalog.get(path);
      if (type === "string") return mark(Marker.quoted, path);
      if (type === "integer" || type === "boolean") return mark(Marker.raw, path);
      return mark(Marker.block, path);
    },
    inline: (path) => {
      catalog.get(path);
      return mark(Marker.inline, path);
    },
    splice: (path) => {
      catalog.get(path);
      return [mark(Marker.splice, path)];
    },
  };
}
