// `MutateCEL`: simple mutations the API server applies itself, compiled to a MutatingAdmissionPolicy
// and its binding. The binding records plain data only; no webhook and no callback is involved.

/** What a `MutateCEL` binding sets on every object its chain matches. */
export interface MutateCelSpec {
  /** Labels set on the object, replacing the same keys' values. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations set on the object, replacing the same keys' values. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Labels set only where the object has no such key (defaults). */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Annotations set only where the object has no such key (defaults). */
  readonly defaultAnnotations?: Readonly<Record<string, string>>;
  /** A CEL expression returning an apply configuration (`Object{spec: Object.spec{…}}`), merged into the object. */
  readonly applyConfiguration?: string;
  /** A CEL expression returning a list of `JSONPatch{op, path, value}` applied to the object. */
  readonly jsonPatch?: string;
}

/** What a `MutateCEL` binding records. */
export interface CelMutation {
  readonly spec: MutateCelSpec;
  /** Where `MutateCEL` was called (`file:line:column`, when the stack tells), for build errors. */
  readonly source?: string;
}

const MAPS = ["labels", "annotations", "defaultLabels", "defaultAnnotations"] as const;
const EXPRESSIONS = ["applyConfiguration", "jsonPatch"] as const;
const KNOWN: readonly string[] = [...MAPS, ...EXPRESSIONS];
// A label or annotation key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters.
const KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** What is wrong with a `MutateCEL` call's argument ("" = nothing). */
export function celMutationError(spec: MutateCelSpec): string {
  if (typeof spec !== "object" || spec === null) return 'MutateCEL needs an object such as { labels: { team: "a" } }';
  const unknown = Object.keys(spec).find((key) => !KNOWN.includes(key));
  if (unknown !== undefined) return `unknown MutateCEL field "${unknown}": use ${KNOWN.join(", ")}`;
  if (!KNOWN.some((key) => spec[key as keyof MutateCelSpec] !== undefined)) {
    return `MutateCEL needs at least one of ${KNOWN.join(", ")}`;
  }
  for (const field of MAPS) {
    const map = spec[field];
    if (map === undefined) continue;
    if (typeof map !== "object" || map === null || Array.isArray(map))
      return `${field} must be an object of keys to values`;
    for (const [key, value] of Object.entries(map)) {
      if (!KEY.test(key))
        return `${field}: "${key}" is not a valid key (an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_", ".")`;
      if (typeof value !== "string") return `${field}["${key}"] must be a string`;
      if (field.toLowerCase().endsWith("labels") && !LABEL_VALUE.test(value)) {
        return `${field}["${key}"]: "${value}" is not a valid label value (up to 63 letters, digits, "-", "_", ".", starting and ending with a letter or digit)`;
      }
    }
  }
  for (const field of EXPRESSIONS) {
    const expression = spec[field];
    if (expression !== undefined && (typeof expression !== "string" || expression.trim() === "")) {
      return `${field} must be a non-empty CEL string`;
    }
  }
  return "";
}
