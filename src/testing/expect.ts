import { isDeepStrictEqual } from "node:util";
import type { AdmissionResult } from "./admission.ts";
import type { BindingTrace } from "./binding-trace.ts";
import { objectRef } from "./objects.ts";
import { pathSegments, toPointer, valueAt } from "./pointer.ts";

/** A failed expectation of the kit: the message names the request, the field and the binding involved. */
export class ExpectationError extends Error {
  override readonly name = "ExpectationError";
  /** The field (JSON pointer) or result part the expectation was about. */
  readonly field: string;
  /** The binding(s) responsible for the actual value, when known. */
  readonly bindings: readonly string[];
  readonly expected: unknown;
  readonly actual: unknown;

  constructor(details: {
    summary: string;
    field: string;
    bindings: readonly string[];
    expected: unknown;
    actual: unknown;
    context?: string;
  }) {
    const lines = [
      details.summary,
      `  field:    ${details.field}`,
      `  expected: ${show(details.expected)}`,
      `  actual:   ${show(details.actual)}`,
      `  bindings: ${details.bindings.length > 0 ? details.bindings.join(", ") : "(none reached the request)"}`,
    ];
    if (details.context) lines.push(details.context);
    super(lines.join("\n"));
    this.field = details.field;
    this.bindings = details.bindings;
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** A value as a reader compares it: JSON, `(absent)` for undefined, `/regex/` for expressions. */
export function show(value: unknown): string {
  if (value === undefined) return "(absent)";
  if (value instanceof RegExp) return String(value);
  return JSON.stringify(value);
}

function describe(result: AdmissionResult): string {
  const { operation } = result.request;
  const object = operation === "DELETE" ? result.request.oldObject : result.request.object;
  return `${result.webhook} of ${operation} ${objectRef(object)}`;
}

function bindingsOf(
  trace: readonly BindingTrace[],
  action: BindingTrace["action"],
  outcomes?: readonly BindingTrace["outcome"][],
) {
  return trace
    .filter((entry) => entry.action === action && (!outcomes || outcomes.includes(entry.outcome)))
    .map((entry) => entry.binding);
}

function skippedContext(result: AdmissionResult): string | undefined {
  if (result.skipped.length === 0) return undefined;
  return `  not reached:\n${result.skipped.map((entry) => `    ${entry.binding}: ${entry.reason}`).join("\n")}`;
}

function matches(pattern: RegExp | string, text: string | undefined): boolean {
  if (text === undefined) return false;
  if (typeof pattern === "string") return text.includes(pattern);
  pattern.lastIndex = 0;
  return pattern.test(text);
}

/** Throws unless the request was allowed. */
export function expectAllowed(result: AdmissionResult): void {
  if (result.allowed) return;
  throw new ExpectationError({
    summary: `expected ${describe(result)} to be allowed, but it was denied`,
    field: "allowed",
    bindings: bindingsOf(result.trace, "validate", ["denied", "threw"]).concat(
      bindingsOf(result.trace, "mutate", ["threw", "running"]),
    ),
    expected: true,
    actual: { allowed: false, code: result.code, message: result.message },
  });
}

export interface DeniedExpectation {
  /** The denial's HTTP code. */
  readonly code?: number;
}

/** Throws unless the request was denied, with a message matching `message` (substring or RegExp) when given. */
export function expectDenied(
  result: AdmissionResult,
  message?: RegExp | string,
  options: DeniedExpectation = {},
): void {
  const denying = bindingsOf(result.trace, "validate", ["denied", "threw"]).concat(
    bindingsOf(result.trace, "mutate", ["threw", "running"]),
  );
  if (result.allowed) {
    throw new ExpectationError({
      summary: `expected ${describe(result)} to be denied, but it was allowed`,
      field: "allowed",
      bindings: result.matched,
      expected: false,
      actual: true,
      context: skippedContext(result),
    });
  }
  if (message !== undefined && !matches(message, result.message)) {
    throw new ExpectationError({
      summary: `${describe(result)} was denied with another message`,
      field: "message",
      bindings: denying,
      expected: message,
      actual: result.message,
    });
  }
  if (options.code !== undefined && options.code !== result.code) {
    throw new ExpectationError({
      summary: `${describe(result)} was denied with another code`,
      field: "code",
      bindings: denying,
      expected: options.code,
      actual: result.code,
    });
  }
}

/** Throws unless every pattern matches one of the warnings. */
export function expectWarnings(result: AdmissionResult, ...patterns: (RegExp | string)[]): void {
  for (const pattern of patterns) {
    if (result.warnings.some((warning) => matches(pattern, warning))) continue;
    const warned = result.trace.filter((entry) => (entry.warnings?.length ?? 0) > 0).map((entry) => entry.binding);
    throw new ExpectationError({
      summary: `${describe(result)} has no warning matching ${show(pattern)}`,
      field: "warnings",
      bindings: warned.length > 0 ? warned : result.matched,
      expected: pattern,
      actual: result.warnings,
    });
  }
}

/** The mutate bindings whose changes touched `pointer` (or something under or above it). */
function writersOf(result: AdmissionResult, pointer: string): string[] {
  return result.trace
    .filter((entry) =>
      entry.patch?.some(
        (op) => op.path === pointer || op.path.startsWith(`${pointer}/`) || pointer.startsWith(`${op.path}/`),
      ),
    )
    .map((entry) => entry.binding);
}

/**
 * Throws unless the patched object holds each value: keys are JSON pointers (`/metadata/labels/app`)
 * or dotted paths (`spec.replicas`); `undefined` means the field must be absent.
 */
export function expectPatched(result: AdmissionResult, expected: Readonly<Record<string, unknown>>): void {
  for (const [path, want] of Object.entries(expected)) {
    const actual = valueAt(result.patched, path);
    if (isDeepStrictEqual(actual, want)) continue;
    const pointer = toPointer(pathSegments(path));
    const writers = writersOf(result, pointer);
    const ran = bindingsOf(result.trace, "mutate");
    throw new ExpectationError({
      summary: `${describe(result)}: ${pointer} is not as expected${writers.length > 0 ? ` (set by ${writers.join(", ")})` : ""}`,
      field: pointer,
      bindings: writers.length > 0 ? writers : ran,
      expected: want,
      actual,
      context: ran.length === 0 ? skippedContext(result) : undefined,
    });
  }
}

/** Throws unless the labels hold these values (`undefined`: the label must be absent). */
export function expectLabels(result: AdmissionResult, labels: Readonly<Record<string, string | undefined>>): void {
  expectPatched(
    result,
    Object.fromEntries(Object.entries(labels).map(([key, value]) => [toPointer(["metadata", "labels", key]), value])),
  );
}

/** Throws unless the annotations hold these values (`undefined`: the annotation must be absent). */
export function expectAnnotations(
  result: AdmissionResult,
  annotations: Readonly<Record<string, string | undefined>>,
): void {
  expectPatched(
    result,
    Object.fromEntries(
      Object.entries(annotations).map(([key, value]) => [toPointer(["metadata", "annotations", key]), value]),
    ),
  );
}

/** Throws unless the module returned no patch at all. */
export function expectUnchanged(result: AdmissionResult): void {
  if (result.patch.length === 0) return;
  throw new ExpectationError({
    summary: `expected ${describe(result)} to leave the object unchanged, but it was patched`,
    field: "patch",
    bindings: bindingsOf(result.trace, "mutate"),
    expected: [],
    actual: result.patch,
  });
}

/** Throws unless exactly these bindings (`capability/name` prefixes of their descriptions) were reached; none when called without any. */
export function expectMatched(result: AdmissionResult, ...bindings: string[]): void {
  const reached = result.matched;
  const same =
    reached.length === bindings.length &&
    bindings.every((name, i) => reached[i] === name || reached[i]?.startsWith(`${name} (`));
  if (same) return;
  throw new ExpectationError({
    summary:
      bindings.length === 0
        ? `expected ${describe(result)} to reach no binding`
        : `${describe(result)} reached other bindings`,
    field: "matched",
    bindings: reached,
    expected: bindings,
    actual: reached,
    context: skippedContext(result),
  });
}

/** Throws unless no binding's filters matched the request. */
export function expectNotMatched(result: AdmissionResult): void {
  expectMatched(result);
}
