import { isDeepStrictEqual } from "node:util";
import type { MemoryStore } from "../store/index.ts";
import type { CallbackCall } from "./controller.ts";
import { ExpectationError } from "./expect.ts";

/** What a test says about one callback run; only the fields given are compared. `binding` is a prefix. */
export type ExpectedCall = Partial<CallbackCall>;

function line(call: CallbackCall): string {
  const phase = call.phase ? ` ${call.phase}` : "";
  const error = call.error ? `: ${call.error}` : "";
  return `    ${call.atMs} ms ${call.binding}${phase} ${call.object} → ${call.outcome}${error}`;
}

/**
 * Throws unless the calls (those of bindings starting with `binding`, when given) are exactly
 * `expected`, compared field by field. The message names the call, its binding and the field.
 */
export function expectCalls(calls: readonly CallbackCall[], expected: readonly ExpectedCall[], binding?: string): void {
  const actual = binding ? calls.filter((call) => call.binding.startsWith(binding)) : [...calls];
  const listing = `  calls:\n${actual.map(line).join("\n") || "    (none)"}`;
  for (const [index, want] of expected.entries()) {
    const call = actual[index];
    if (!call) {
      throw new ExpectationError({
        summary: `expected at least ${expected.length} callback calls${binding ? ` of ${binding}` : ""}, got ${actual.length}`,
        field: `calls[${index}]`,
        bindings: want.binding ? [want.binding] : [],
        expected: want,
        actual: undefined,
        context: listing,
      });
    }
    for (const [field, value] of Object.entries(want)) {
      const got = call[field as keyof CallbackCall];
      const same =
        field === "binding"
          ? typeof value === "string" && call.binding.startsWith(value)
          : isDeepStrictEqual(got, value);
      if (same) continue;
      throw new ExpectationError({
        summary: `callback call ${index + 1} of ${call.binding} differs in ${field}`,
        field: `calls[${index}].${field}`,
        bindings: [call.binding],
        expected: value,
        actual: got,
        context: listing,
      });
    }
  }
  if (actual.length > expected.length) {
    throw new ExpectationError({
      summary: `expected ${expected.length} callback calls${binding ? ` of ${binding}` : ""}, got ${actual.length}`,
      field: "calls",
      bindings: [...new Set(actual.slice(expected.length).map((call) => call.binding))],
      expected: expected.length,
      actual: actual.length,
      context: listing,
    });
  }
}

/** Throws unless the capability's Store holds these values (`null` or `undefined`: the key is absent). */
export function expectStore(
  store: MemoryStore,
  capability: string,
  expected: Readonly<Record<string, string | null | undefined>>,
): void {
  const data = store.snapshot(capability);
  for (const [key, want] of Object.entries(expected)) {
    const got = data[key];
    if ((want ?? undefined) === got) continue;
    throw new ExpectationError({
      summary: `the Store of ${capability} holds another value for ${key}`,
      field: `store.${capability}.${key}`,
      bindings: [`${capability}/`],
      expected: want ?? undefined,
      actual: got,
    });
  }
}
