/**
 * Chart values: each value the manifests read is declared once, with its default and JSON-schema
 * type. The static YAML reads the defaults; the Helm chart reads `.Values`. Because both come from
 * the same declarations and the same object builders, the chart renders to the static YAML with
 * default values, and every value in the schema is one the templates read.
 */
export type ValueType = "string" | "integer" | "boolean" | "object" | "array";

export interface ChartValue {
  /** The value's path in values.yaml. */
  readonly path: string;
  readonly type: ValueType;
  readonly default: unknown;
  readonly description: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
  /**
   * The keys object builders read this value by (default: `[path]`). Builders read per role
   * (`controller.securityContext`); one chart value may serve several keys (capstan's shared
   * `podSecurityContext`), and a key may name another chart path (`watcher.*` in Pepr mode).
   */
  readonly reads?: readonly string[];
  /** Not a chart value: builders read the default, the chart neither offers nor reads it. */
  readonly constant?: boolean;
  /** Rendered through this named template of the chart's `_helpers.tpl` instead of `toYaml`. */
  readonly helper?: ChartHelper;
}

/** A value whose Helm rendering normalises what users write (see `chartHelpers`). */
export interface ChartHelper {
  readonly name: string;
  /** What the helper does to the value, for the static YAML. */
  apply(value: unknown): unknown;
}

/** How object builders read a value. */
export interface ValueReader {
  /** A whole value: a scalar field, or an object/array that replaces a field. */
  value(path: string): unknown;
  /** A string value used inside a longer string (e.g. `<repository>:<tag>`). */
  inline(path: string): string;
  /** An array value whose items are appended to a list the builder starts. */
  splice(path: string): unknown[];
  /** Whether the chart declares this key (a builder falls back to its own construction otherwise). */
  has(path: string): boolean;
  /** A string map laid over `base`: the value's entries win. */
  merged(path: string, base: Readonly<Record<string, string>>): unknown;
  /** An array of strings joined with `separator`, as a string (usable inside a longer string). */
  joined(path: string, separator: string): string;
  /** A base64 string value decoded, as a string (usable inside a longer string). */
  decoded(path: string): string;
  /** A boolean value negated, as the string `true` or `false`. */
  negated(path: string): string;
  /** An object value with `extra`'s entries laid over it when the boolean value `flag` is true. */
  mergedWhen(flag: string, extra: Readonly<Record<string, unknown>>, path: string): unknown;
}

export class ValueCatalog {
  /** Chart values by path (constants excluded). */
  readonly #values = new Map<string, ChartValue>();
  /** Every value by the keys builders read it by. */
  readonly #keys = new Map<string, ChartValue>();

  declare(value: ChartValue): void {
    if (!value.constant && this.#values.has(value.path)) throw new Error(`Chart value ${value.path} declared twice`);
    for (const key of value.reads ?? [value.path]) {
      if (this.#keys.has(key)) throw new Error(`Chart value key ${key} declared twice`);
      this.#keys.set(key, value);
    }
    if (!value.constant) this.#values.set(value.path, value);
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  get(key: string): ChartValue {
    const value = this.#keys.get(key);
    if (!value) throw new Error(`Chart value ${key} is read but not declared`);
    return value;
  }

  /** The chart's values (constants are not among them). */
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
    ...(value.maximum === undefined ? {} : { maximum: value.maximum }),
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
  const read = (key: string) => {
    const value = catalog.get(key);
    const copy = structuredClone(value.default);
    return value.helper ? value.helper.apply(copy) : copy;
  };
  return {
    value: read,
    inline: (path) => String(read(path)),
    splice: (path) => read(path) as unknown[],
    has: (path) => catalog.has(path),
    merged: (path, base) => ({ ...base, ...(read(path) as Record<string, string>) }),
    joined: (path, separator) => (read(path) as string[]).join(separator),
    decoded: (path) => Buffer.from(String(read(path)), "base64").toString("utf8"),
    negated: (path) => String(read(path) !== true),
    mergedWhen: (flag, extra, path) => ({
      ...(read(path) as Record<string, unknown>),
      ...(read(flag) === true ? structuredClone(extra) : {}),
    }),
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
  /** `__HELMX__<n>__`: the n-th of the reader's `expressions`. */
  expression: "__HELMX__",
  end: "__",
} as const;

/** A template pipeline a marker stands for: a YAML block (`toYaml`) or a string inside a scalar. */
export interface ChartExpression {
  readonly pipeline: string;
  readonly block: boolean;
}

export interface MarkerReader extends ValueReader {
  readonly expressions: readonly ChartExpression[];
}

/** Reads markers: what the Helm templates hold. Constants read as their default. */
export function markerReader(catalog: ValueCatalog): MarkerReader {
  const defaults = defaultsReader(catalog);
  const mark = (kind: string, path: string) => `${kind}${path}${Marker.end}`;
  const expressions: ChartExpression[] = [];
  const expression = (pipeline: string, block: boolean) => {
    expressions.push({ pipeline, block });
    return `${Marker.expression}${expressions.length - 1}${Marker.end}`;
  };
  const chartPath = (key: string) => {
    const value = catalog.get(key);
    return value.constant ? undefined : value.path;
  };
  return {
    expressions,
    has: (key) => catalog.has(key),
    value: (key) => {
      const value = catalog.get(key);
      if (value.constant) return defaults.value(key);
      if (value.helper) return expression(`include "${value.helper.name}" .Values.${value.path}`, true);
      if (value.type === "string") return mark(Marker.quoted, value.path);
      if (value.type === "integer" || value.type === "boolean") return mark(Marker.raw, value.path);
      return mark(Marker.block, value.path);
    },
    inline: (key) => {
      const path = chartPath(key);
      return path ? mark(Marker.inline, path) : defaults.inline(key);
    },
    splice: (key) => {
      const path = chartPath(key);
      return path ? [mark(Marker.splice, path)] : defaults.splice(key);
    },
    merged: (key, base) => {
      const path = chartPath(key);
      if (!path) return defaults.merged(key, base);
      return expression(
        `mergeOverwrite (fromJson ${JSON.stringify(JSON.stringify(base))}) (.Values.${path} | default dict) | toYaml`,
        true,
      );
    },
    joined: (key, separator) => {
      const path = chartPath(key);
      return path
        ? expression(`join ${JSON.stringify(separator)} .Values.${path}`, false)
        : defaults.joined(key, separator);
    },
    decoded: (key) => {
      const path = chartPath(key);
      return path ? expression(`.Values.${path} | b64dec`, false) : defaults.decoded(key);
    },
    negated: (key) => {
      const path = chartPath(key);
      return path ? expression(`not .Values.${path}`, false) : defaults.negated(key);
    },
    mergedWhen: (flag, extra, key) => {
      const path = chartPath(key);
      const flagPath = chartPath(flag);
      if (!path || !flagPath) return defaults.mergedWhen(flag, extra, key);
      const value = `(.Values.${path} | default dict)`;
      const laid = `(mergeOverwrite (deepCopy ${value}) (fromJson ${JSON.stringify(JSON.stringify(extra))}))`;
      return expression(`ternary ${laid} ${value} .Values.${flagPath} | toYaml`, true);
    },
  };
}
