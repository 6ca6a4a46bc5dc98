// Type-checks ValidateCEL expressions against the kind's schema before anything reaches a cluster:
// a misspelt field or a comparison of an int with a string fails `capstan build` (the API server
// only reports those in a policy's status, after it is applied). Field types come from the API
// server's own OpenAPI v3 (cel-schema/kubernetes.json, written by scripts/gen-cel-schema.ts); what
// the table cannot type exactly (int-or-string, quantities, unknown fields, CRDs) is dyn, so a
// correct expression is never refused.
import { readFileSync } from "node:fs";
import { Environment } from "@marcbachmann/cel-js";

interface SchemaTable {
  readonly source: string;
  /** `<group>/<version>/<kind>` (core: `v1/<kind>`) → type name. */
  readonly kinds: Readonly<Record<string, string>>;
  /** Type name → field → CEL type (`string`, `list<…>`, `map<string, …>`, another type name, `dyn`). */
  readonly types: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

let table: SchemaTable | undefined;
function schemaTable(): SchemaTable {
  // The same file from src/build and from dist/build (the package ships src/).
  const file = new URL("../../src/build/cel-schema/kubernetes.json", import.meta.url);
  table ??= JSON.parse(readFileSync(file, "utf8")) as SchemaTable;
  return table;
}

// Kubernetes' CEL libraries beyond the list and string extensions: an expression using one is not
// type-checked here (the API server checks it), rather than declaring every overload of theirs.
const UNCHECKED_LIBRARIES =
  /\b(quantity|isQuantity|url|isURL|ip|isIP|cidr|isCIDR|semver|isSemver|format|matches|jsonpatch)\s*\(|\bauthorizer\b/;

const NAMESPACE = "v1/Namespace";
const checkOnly = () => {
  throw new Error("capstan's CEL type-check environment does not evaluate");
};

const TYPE_NAME = /[A-Za-z_][\w.]*/g;

/**
 * Registers `root` after every type its fields name (the library needs a field's type first); a
 * field that leads back to a type being registered (JSONSchemaProps' own fields) becomes dyn.
 */
function registerTypes(
  env: Environment,
  types: SchemaTable["types"],
  root: string,
  done: Set<string>,
  open = new Set<string>(),
): void {
  if (done.has(root) || !types[root]) return;
  open.add(root);
  const fields: Record<string, string> = {};
  for (const [field, type] of Object.entries(types[root] ?? {})) {
    const names = (type.match(TYPE_NAME) ?? []).filter((name) => types[name]);
    if (names.some((name) => open.has(name))) {
      fields[field] = "dyn";
      continue;
    }
    for (const name of names) registerTypes(env, types, name, done, open);
    fields[field] = type;
  }
  open.delete(root);
  env.registerType(root, { fields });
  done.add(root);
}

function environmentFor(kindType: string): Environment {
  const { types, kinds } = schemaTable();
  const env = new Environment({
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    unlistedVariablesAreDyn: false,
  });
  const registered = new Set<string>();
  registerTypes(env, types, kindType, registered);
  const namespaceType = kinds[NAMESPACE];
  if (namespaceType) registerTypes(env, types, namespaceType, registered);
  // `object == null` (CREATE's oldObject, DELETE's object) is how policies test for absence.
  env.registerOperator(`${kindType} == null`, (a: unknown, b: unknown) => a === b);
  env.registerVariable("object", kindType).registerVariable("oldObject", kindType);
  env.registerVariable("namespaceObject", namespaceType ?? "dyn");
  for (const name of ["request", "params", "variables", "authorizer"]) env.registerVariable(name, "dyn");
  // The Kubernetes list and string extensions (their types only), where the library lacks them.
  for (const signature of EXTENSIONS) {
    try {
      env.registerFunction(signature, checkOnly);
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("overlaps"))) throw error;
    }
  }
  return env;
}

const EXTENSIONS = [
  "list.isSorted(): bool",
  "list.sum(): dyn",
  "list.min(): dyn",
  "list.max(): dyn",
  "list.indexOf(dyn): int",
  "list.lastIndexOf(dyn): int",
  "string.replace(string, string): string",
  "string.replace(string, string, int): string",
  "string.split(string): list<string>",
  "string.split(string, int): list<string>",
  "string.lowerAscii(): string",
  "string.upperAscii(): string",
  "string.trim(): string",
  "string.indexOf(string): int",
  "string.indexOf(string, int): int",
  "string.lastIndexOf(string): int",
  "string.substring(int): string",
  "string.substring(int, int): string",
  "string.charAt(int): string",
  "string.find(string): string",
  "string.findAll(string): list<string>",
  "string.findAll(string, int): list<string>",
  "list.join(): string",
  "list.join(string): string",
];

const environments = new Map<string, Environment>();

/** The kind's key in the table: `<group>/<version>/<kind>`, core kinds `v1/<kind>`. */
function kindKey(kind: { readonly group: string; readonly version: string; readonly kind: string }): string {
  return [kind.group, kind.version, kind.kind].filter(Boolean).join("/");
}

/** Whether the table has the kind (built-in kinds of the Kubernetes release it was made from). */
export function hasCelSchema(kind: {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}): boolean {
  return schemaTable().kinds[kindKey(kind)] !== undefined;
}

/**
 * A type error in one expression: its message and offset, or undefined when it checks (or cannot be
 * checked here). `returns`: what the expression must give (`bool` for a validation, `string` for a
 * messageExpression), as the API server requires; dyn passes.
 */
export function celTypeError(
  kind: { readonly group: string; readonly version: string; readonly kind: string },
  expression: string,
  returns?: "bool" | "string",
): { readonly message: string; readonly offset: number } | undefined {
  const kindType = schemaTable().kinds[kindKey(kind)];
  if (!kindType || UNCHECKED_LIBRARIES.test(expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "''"))) {
    return undefined;
  }
  let env = environments.get(kindType);
  if (!env) {
    env = environmentFor(kindType);
    environments.set(kindType, env);
  }
  const result = env.check(expression) as {
    readonly valid: boolean;
    readonly type?: string;
    readonly error?: { readonly message: string; readonly node?: { readonly pos?: number } };
  };
  if (result.valid) {
    const type = result.type ?? "dyn";
    return returns && type !== returns && type !== "dyn"
      ? { message: `must evaluate to ${returns} but gives ${type}`, offset: 0 }
      : undefined;
  }
  if (!result.error) return undefined;
  const message = (result.error.message.split("\n")[0] ?? "").replace(/^No such key/, "no such field");
  return { message, offset: result.error.node?.pos ?? 0 };
}

/** Where the table came from (for docs and messages). */
export function celSchemaSource(): string {
  return schemaTable().source;
}
