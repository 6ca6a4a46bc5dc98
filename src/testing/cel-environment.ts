// The CEL environment the offline evaluator runs a ValidatingAdmissionPolicy's expressions in
// (docs/adr/0012-cel-library.md): the API server's variables, optional types, the Kubernetes list
// and string extensions that are cheap to reproduce, and a clear error for the ones that are not.
import { Environment } from "@marcbachmann/cel-js";

/** The variables a ValidatingAdmissionPolicy expression sees. */
export const CEL_VARIABLES = ["object", "oldObject", "request", "params", "namespaceObject", "variables"] as const;

type CelList = readonly unknown[];

// Values of one CEL type: numbers, bigints, strings, booleans, or uint wrappers ({ value }).
function compare(a: unknown, b: unknown): number {
  if (typeof a === "object" && a !== null && "value" in a && typeof b === "object" && b !== null && "value" in b) {
    return compare(a.value, b.value);
  }
  const x = a as number | bigint | string;
  const y = b as number | bigint | string;
  return x < y ? -1 : x > y ? 1 : 0;
}

function extreme(list: CelList, sign: 1 | -1, name: string): unknown {
  if (list.length === 0) throw new Error(`${name}: list is empty`);
  return list.reduce((best, item) => (compare(item, best) * sign > 0 ? item : best));
}

// Kubernetes CEL libraries the offline evaluator does not reproduce: named in a clear error.
const UNSUPPORTED =
  /\b(quantity|isQuantity|url|isURL|ip|isIP|cidr|isCIDR|semver|isSemver|format)\s*\(|\b(authorizer)\b/;

function unsupportedIn(expression: string): string | undefined {
  const match = UNSUPPORTED.exec(expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'));
  if (!match) return undefined;
  const name = match[1] ? `${match[1]}()` : (match[2] ?? "");
  return `Kubernetes' CEL ${name} is not supported offline by capstan; test this rule on a cluster (startTestCluster)`;
}

function buildEnvironment(): Environment {
  const env = new Environment({
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    unlistedVariablesAreDyn: false,
  });
  for (const name of CEL_VARIABLES) env.registerVariable(name, "dyn");
  env
    .registerFunction("list.isSorted(): bool", (list: CelList) =>
      list.every((item, i) => i === 0 || compare(list[i - 1], item) <= 0),
    )
    .registerFunction(
      "list.sum(): dyn",
      (list: CelList) =>
        list.reduce<unknown>(
          (total, item) => (total === undefined ? item : (total as number) + (item as number)),
          undefined,
        ) ?? 0n,
    )
    .registerFunction("list.min(): dyn", (list: CelList) => extreme(list, -1, "min"))
    .registerFunction("list.max(): dyn", (list: CelList) => extreme(list, 1, "max"))
    .registerFunction("list.indexOf(dyn): int", (list: CelList, value: unknown) =>
      BigInt(list.findIndex((item) => compare(item, value) === 0)),
    )
    .registerFunction("list.lastIndexOf(dyn): int", (list: CelList, value: unknown) =>
      BigInt(list.findLastIndex((item) => compare(item, value) === 0)),
    )
    .registerFunction("string.replace(string, string): string", (s: string, from: string, to: string) =>
      s.replaceAll(from, to),
    );
  return env;
}

let shared: Environment | undefined;

/** The one environment (built on first use; parsing is cached per expression by the caller). */
export function celEnvironment(): Environment {
  shared ??= buildEnvironment();
  return shared;
}

/**
 * JSON as the API server hands it to CEL: whole numbers are int (BigInt here), others double; the
 * rest is unchanged.
 */
export function toCelValue(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCelValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCelValue(v)]));
  }
  return value;
}

// Library error texts rewritten to cel-go's (checked against the API server by the CEL proof).
const CEL_GO_ERRORS: readonly [RegExp, string][] = [
  [/^No such key: index out of bounds, index (-?\d+).*$/, "index out of bounds: $1"],
  [/^No such key: /, "no such key: "],
  [/^(int|uint|double)\(\) type error: cannot convert to \w+$/, "type conversion error from 'string' to '$1'"],
  [/^bool\(\) conversion error: .*$/, "type conversion error from 'string' to 'bool'"],
  [
    /^timestamp\(\) requires a string in ISO 8601 format$/,
    "type conversion error from 'string' to 'google.protobuf.Timestamp'",
  ],
  [/^Invalid duration string: .*$/, "type conversion error from 'string' to 'google.protobuf.Duration'"],
  [/^integer overflow: .*$/, "integer overflow"],
  [/^modulo by zero$/, "modulus by zero"],
];

/** The first line of a library error, in cel-go's words where capstan knows them ("no such key: x"). */
export function celErrorText(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  const rule = CEL_GO_ERRORS.find(([pattern]) => pattern.test(text));
  return rule ? text.replace(rule[0], rule[1]) : text;
}

/** A compiled expression, or the reason it does not compile (syntax, unknown variable, type). */
export type CelProgram =
  | { readonly ok: true; readonly run: (context: Record<string, unknown>) => unknown }
  | { readonly ok: false; readonly error: string };

const programs = new Map<string, CelProgram>();

export function compileCel(expression: string): CelProgram {
  let program = programs.get(expression);
  if (program) return program;
  const unsupported = unsupportedIn(expression);
  if (unsupported) return { ok: false, error: unsupported };
  try {
    const parsed = celEnvironment().parse(expression);
    const checked = parsed.check();
    program = checked.valid
      ? { ok: true, run: (context) => parsed(context) }
      : { ok: false, error: celErrorText(checked.error) };
  } catch (error) {
    program = { ok: false, error: celErrorText(error) };
  }
  programs.set(expression, program);
  return program;
}
