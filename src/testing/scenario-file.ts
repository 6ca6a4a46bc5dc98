import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import type { ExponentialBackoffOptions } from "../controller/index.ts";
import type { KubernetesObject } from "../k8s/index.ts";
import type { Operation, UserInfo } from "../model/index.ts";
import { isPlainObject } from "../model/index.ts";
import type { ExpectedCall } from "./controller-expect.ts";
import { toObject } from "./objects.ts";

/** What an admission scenario expects; every field is optional. Strings written `/…/flags` are regular expressions. */
export interface AdmissionExpectation {
  readonly allowed?: boolean;
  readonly code?: number;
  readonly message?: string;
  readonly warnings?: readonly string[];
  /** JSON pointer or dotted path → value in the patched object; `null` = absent. */
  readonly patched?: Readonly<Record<string, unknown>>;
  /** `null` = the label must be absent. */
  readonly labels?: Readonly<Record<string, string | null>>;
  readonly annotations?: Readonly<Record<string, string | null>>;
  /** The bindings the request reached, in order (`[]`: filters matched none). */
  readonly matched?: readonly string[];
  /** No patch at all. */
  readonly unchanged?: boolean;
}

export interface AdmissionScenario {
  readonly kind: "admission";
  readonly name: string;
  readonly webhook: "review" | "mutate" | "validate";
  readonly request: {
    readonly operation: Operation;
    readonly object?: KubernetesObject;
    readonly oldObject?: KubernetesObject;
    readonly userInfo?: UserInfo;
    readonly dryRun?: boolean;
    /** Default: the object's `metadata.namespace`. */
    readonly namespace?: string;
  };
  readonly expect: AdmissionExpectation;
}

export interface ControllerExpectation {
  /** Only calls of bindings whose description starts with this. */
  readonly binding?: string;
  readonly calls?: readonly ExpectedCall[];
  /** capability → key → value (`null`: absent). */
  readonly store?: Readonly<Record<string, Readonly<Record<string, string | null>>>>;
  /** Objects in the in-memory cluster: each names apiVersion, kind and metadata; `absent: true` = must be gone; `fields` = path → value. */
  readonly objects?: readonly {
    readonly object: KubernetesObject;
    readonly absent?: boolean;
    readonly fields?: Readonly<Record<string, unknown>>;
  }[];
}

export type ControllerStep =
  | { readonly apply: KubernetesObject }
  | { readonly delete: KubernetesObject }
  | { readonly advance: string | number }
  | { readonly expect: ControllerExpectation };

export interface ControllerScenario {
  readonly kind: "controller";
  readonly name: string;
  readonly retry?: ExponentialBackoffOptions;
  readonly objects: readonly KubernetesObject[];
  readonly admission: boolean;
  readonly steps: readonly ControllerStep[];
}

export type Scenario = AdmissionScenario | ControllerScenario;

export interface ScenarioFile {
  readonly path: string;
  readonly scenarios: readonly Scenario[];
}

/** A problem in a scenario file, with where it is. */
export class ScenarioFileError extends Error {
  override readonly name = "ScenarioFileError";
}

type Raw = Record<string, unknown>;

/** Reads the checks of a scenario file; `where` prefixes messages (`scenarios[2].expect`). */
class Reader {
  readonly #file: string;
  constructor(file: string) {
    this.#file = file;
  }

  fail(where: string, problem: string): never {
    throw new ScenarioFileError(`${this.#file}: ${where}: ${problem}`);
  }

  object(value: unknown, where: string): Raw {
    if (!isPlainObject(value)) this.fail(where, "must be a mapping");
    return value;
  }

  only(value: Raw, where: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(where, `unknown field "${key}" (expected one of ${allowed.join(", ")})`);
    }
  }

  optional<T>(value: unknown, where: string, type: "string" | "number" | "boolean"): T | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== type) this.fail(where, `must be a ${type} (got ${JSON.stringify(value)})`);
    return value as T;
  }

  strings(value: unknown, where: string): string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string"))
      this.fail(where, "must be a list of strings");
    return value as string[];
  }

  kubeObject(holder: Raw, key: string, where: string): KubernetesObject | undefined {
    const inline = holder[key];
    const file = holder[`${key}File`];
    if (inline !== undefined && file !== undefined) this.fail(where, `give ${key} or ${key}File, not both`);
    if (file !== undefined) {
      if (typeof file !== "string") this.fail(`${where}.${key}File`, "must be a path");
      const path = resolve(dirname(this.#file), file);
      try {
        return toObject(readFileSync(path, "utf8"));
      } catch (error) {
        this.fail(
          `${where}.${key}File`,
          `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (inline === undefined) return undefined;
    const object = this.object(inline, `${where}.${key}`);
    if (typeof object.apiVersion !== "string" || typeof object.kind !== "string")
      this.fail(`${where}.${key}`, "needs apiVersion and kind");
    return object as KubernetesObject;
  }
}

const operations = ["CREATE", "UPDATE", "DELETE", "CONNECT"];
const webhooks = ["review", "mutate", "validate"];

function admissionScenario(read: Reader, raw: Raw, where: string, name: string): AdmissionScenario {
  read.only(raw, where, ["name", "webhook", "request", "expect"]);
  const request = read.object(raw.request, `${where}.request`);
  read.only(request, `${where}.request`, [
    "operation",
    "object",
    "objectFile",
    "oldObject",
    "oldObjectFile",
    "userInfo",
    "dryRun",
    "namespace",
  ]);
  const operation = read.optional<string>(request.operation, `${where}.request.operation`, "string") ?? "CREATE";
  if (!operations.includes(operation))
    read.fail(`${where}.request.operation`, `must be one of ${operations.join(", ")}`);
  const webhook = read.optional<string>(raw.webhook, `${where}.webhook`, "string") ?? "review";
  if (!webhooks.includes(webhook)) read.fail(`${where}.webhook`, `must be one of ${webhooks.join(", ")}`);
  const expect = read.object(raw.expect, `${where}.expect`);
  if (Object.keys(expect).length === 0)
    read.fail(`${where}.expect`, "is empty: say what to expect (allowed, message, labels, …)");
  read.only(expect, `${where}.expect`, [
    "allowed",
    "code",
    "message",
    "warnings",
    "patched",
    "labels",
    "annotations",
    "matched",
    "unchanged",
  ]);
  read.optional(expect.allowed, `${where}.expect.allowed`, "boolean");
  read.optional(expect.code, `${where}.expect.code`, "number");
  read.optional(expect.message, `${where}.expect.message`, "string");
  read.optional(expect.unchanged, `${where}.expect.unchanged`, "boolean");
  read.strings(expect.warnings, `${where}.expect.warnings`);
  read.strings(expect.matched, `${where}.expect.matched`);
  for (const map of ["patched", "labels", "annotations"])
    if (expect[map] !== undefined) read.object(expect[map], `${where}.expect.${map}`);
  const object = read.kubeObject(request, "object", `${where}.request`);
  const oldObject = read.kubeObject(request, "oldObject", `${where}.request`);
  const userInfo =
    request.userInfo === undefined
      ? undefined
      : (read.object(request.userInfo, `${where}.request.userInfo`) as UserInfo);
  const dryRun = read.optional<boolean>(request.dryRun, `${where}.request.dryRun`, "boolean");
  const namespace = read.optional<string>(request.namespace, `${where}.request.namespace`, "string");
  return {
    kind: "admission",
    name,
    webhook: webhook as AdmissionScenario["webhook"],
    request: {
      operation: operation as Operation,
      ...(object ? { object } : {}),
      ...(oldObject ? { oldObject } : {}),
      ...(userInfo ? { userInfo } : {}),
      ...(dryRun !== undefined ? { dryRun } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
    },
    expect: expect as AdmissionExpectation,
  };
}

function controllerStep(read: Reader, raw: unknown, where: string): ControllerStep {
  const step = read.object(raw, where);
  const keys = Object.keys(step).filter((key) => !key.endsWith("File") || key === "applyFile" || key === "deleteFile");
  if (keys.length !== 1) read.fail(where, "a step is exactly one of apply, delete, advance or expect");
  if ("apply" in step || "applyFile" in step)
    return { apply: read.kubeObject(step, "apply", where) as KubernetesObject };
  if ("delete" in step || "deleteFile" in step)
    return { delete: read.kubeObject(step, "delete", where) as KubernetesObject };
  if ("advance" in step) {
    if (typeof step.advance !== "string" && typeof step.advance !== "number")
      read.fail(`${where}.advance`, "must be a duration such as 2s or 500ms");
    return { advance: step.advance };
  }
  if (!("expect" in step)) read.fail(where, `unknown step "${keys[0]}" (use apply, delete, advance or expect)`);
  const expect = read.object(step.expect, `${where}.expect`);
  read.only(expect, `${where}.expect`, ["binding", "calls", "store", "objects"]);
  read.optional(expect.binding, `${where}.expect.binding`, "string");
  if (expect.calls !== undefined && !Array.isArray(expect.calls)) read.fail(`${where}.expect.calls`, "must be a list");
  for (const [index, call] of ((expect.calls as unknown[]) ?? []).entries()) {
    read.only(read.object(call, `${where}.expect.calls[${index}]`), `${where}.expect.calls[${index}]`, [
      "binding",
      "action",
      "phase",
      "object",
      "resourceVersion",
      "atMs",
      "outcome",
      "error",
    ]);
  }
  if (expect.store !== undefined) read.object(expect.store, `${where}.expect.store`);
  if (expect.objects !== undefined && !Array.isArray(expect.objects))
    read.fail(`${where}.expect.objects`, "must be a list");
  const objects = ((expect.objects as unknown[]) ?? []).map((entry, index) => {
    const at = `${where}.expect.objects[${index}]`;
    const item = read.object(entry, at);
    read.only(item, at, ["object", "objectFile", "absent", "fields"]);
    return {
      object: read.kubeObject(item, "object", at) ?? read.fail(at, "needs object (apiVersion, kind, metadata.name)"),
      ...(item.absent !== undefined ? { absent: read.optional<boolean>(item.absent, `${at}.absent`, "boolean") } : {}),
      ...(item.fields !== undefined ? { fields: read.object(item.fields, `${at}.fields`) } : {}),
    };
  });
  return { expect: { ...(expect as ControllerExpectation), objects } };
}

function controllerScenario(read: Reader, raw: Raw, where: string, name: string): ControllerScenario {
  read.only(raw, where, ["name", "controller", "steps"]);
  const settings = read.object(raw.controller ?? {}, `${where}.controller`);
  read.only(settings, `${where}.controller`, ["retry", "objects", "admission"]);
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) read.fail(`${where}.steps`, "must be a non-empty list");
  if (settings.objects !== undefined && !Array.isArray(settings.objects))
    read.fail(`${where}.controller.objects`, "must be a list");
  const steps = raw.steps.map((step, index) => controllerStep(read, step, `${where}.steps[${index}]`));
  if (!steps.some((step) => "expect" in step)) {
    read.fail(`${where}.steps`, "has no expect step: say what to expect (calls, store, objects)");
  }
  return {
    kind: "controller",
    name,
    ...(settings.retry !== undefined
      ? { retry: read.object(settings.retry, `${where}.controller.retry`) as ExponentialBackoffOptions }
      : {}),
    objects: ((settings.objects as unknown[]) ?? []).map(
      (object, index) =>
        read.kubeObject({ object }, "object", `${where}.controller.objects[${index}]`) as KubernetesObject,
    ),
    admission: read.optional<boolean>(settings.admission, `${where}.controller.admission`, "boolean") ?? false,
    steps,
  };
}

/** Parses and checks a scenario file; errors say which file, which scenario and which field. */
export function parseScenarioFile(path: string, text = readFileSync(path, "utf8")): ScenarioFile {
  const read: Reader = new Reader(path);
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    read.fail("YAML", error instanceof Error ? error.message : String(error));
  }
  const top = read.object(document, "top level");
  read.only(top, "top level", ["scenarios"]);
  if (!Array.isArray(top.scenarios) || top.scenarios.length === 0) read.fail("scenarios", "must be a non-empty list");
  const names = new Set<string>();
  const scenarios = top.scenarios.map((entry, index): Scenario => {
    const where = `scenarios[${index}]`;
    const raw = read.object(entry, where);
    const name =
      read.optional<string>(raw.name, `${where}.name`, "string") ?? read.fail(`${where}.name`, "is required");
    if (names.has(name)) read.fail(`${where}.name`, `"${name}" is used twice`);
    names.add(name);
    if ("request" in raw) return admissionScenario(read, raw, `${where} (${name})`, name);
    if ("steps" in raw) return controllerScenario(read, raw, `${where} (${name})`, name);
    return read.fail(`${where} (${name})`, "needs request (an admission scenario) or steps (a controller scenario)");
  });
  return { path, scenarios };
}

/** Scenario files end in `.scenarios.yaml` (or `.yml`). */
export const SCENARIO_FILE = /\.scenarios\.ya?ml$/;
const skipped = new Set(["node_modules", "dist", ".capstan", ".git"]);

/** The scenario files at `path`: the file itself, or every one under the folder (sorted). */
export function findScenarioFiles(path: string): string[] {
  const root = resolve(path);
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(root);
  } catch {
    throw new Error(`${root} does not exist: pass a folder holding *.scenarios.yaml files, or one such file`);
  }
  if (stats.isFile()) return [root];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !skipped.has(entry.name)) walk(join(dir, entry.name));
      else if (entry.isFile() && SCENARIO_FILE.test(entry.name)) found.push(join(dir, entry.name));
    }
  };
  walk(root);
  if (found.length === 0) throw new Error(`no *.scenarios.yaml files under ${root}`);
  return found.sort();
}
