import type { MutateCelSpec } from "../model/index.ts";
import { celString } from "./cel.ts";

// `MutateCEL` specs as a MutatingAdmissionPolicy's `mutations`: set labels/annotations as one apply
// configuration, each default as an apply configuration that is empty where the key exists, then
// the raw expressions, in that order (later mutations see earlier ones' result).

type MetaField = "labels" | "annotations";

function celMap(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, value]) => `${celString(key)}: ${celString(value)}`).join(", ")}}`;
}

function applyConfiguration(expression: string) {
  return { patchType: "ApplyConfiguration", applyConfiguration: { expression } };
}

function setMeta(spec: MutateCelSpec) {
  const fields = (["labels", "annotations"] as const)
    .filter((field) => Object.keys(spec[field] ?? {}).length > 0)
    .map((field) => `${field}: ${celMap(Object.entries(spec[field] ?? {}))}`);
  return fields.length === 0 ? [] : [applyConfiguration(`Object{metadata: Object.metadata{${fields.join(", ")}}}`)];
}

function defaultMeta(field: MetaField, defaults: Readonly<Record<string, string>> | undefined) {
  return Object.entries(defaults ?? {}).map(([key, value]) => {
    const map = `object.metadata.${field}`;
    const present = `has(${map}) && ${celString(key)} in ${map}`;
    return applyConfiguration(
      `Object{metadata: Object.metadata{${field}: (${present}) ? {} : ${celMap([[key, value]])}}}`,
    );
  });
}

/** The `mutations` of the policy for one `MutateCEL` spec. */
export function celMutations(spec: MutateCelSpec): Record<string, unknown>[] {
  return [
    ...setMeta(spec),
    ...defaultMeta("labels", spec.defaultLabels),
    ...defaultMeta("annotations", spec.defaultAnnotations),
    ...(spec.applyConfiguration ? [applyConfiguration(spec.applyConfiguration)] : []),
    ...(spec.jsonPatch ? [{ patchType: "JSONPatch", jsonPatch: { expression: spec.jsonPatch } }] : []),
  ];
}
