import { parseAllDocuments } from "yaml";
import type { KubernetesObject } from "../k8s/index.ts";
import { cloneJson, isPlainObject } from "../model/index.ts";

/** An object as tests write it: a plain object, or YAML text of one object. */
export type ObjectInput = KubernetesObject | Record<string, unknown> | string;

/** Parses YAML text (one or more documents separated by `---`) into objects; empty documents are skipped. */
export function objectsFromYaml(text: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    if (document.errors.length > 0) {
      throw new Error(`YAML document ${index + 1} does not parse: ${document.errors[0]?.message}`);
    }
    const value: unknown = document.toJSON();
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value)) throw new Error(`YAML document ${index + 1} is not an object (a Kubernetes object is)`);
    objects.push(value as KubernetesObject);
  }
  return objects;
}

/** A deep copy of the object, parsing YAML text that must hold exactly one object. */
export function toObject(input: ObjectInput): KubernetesObject {
  if (typeof input !== "string") return cloneJson(input) as KubernetesObject;
  const objects = objectsFromYaml(input);
  if (objects.length !== 1) throw new Error(`expected YAML of one object, got ${objects.length} documents`);
  return objects[0] as KubernetesObject;
}

/** `namespace/name` (or `name`), for messages. */
export function objectRef(object: KubernetesObject | undefined): string {
  const { namespace, name } = object?.metadata ?? {};
  return `${object?.kind ?? "object"} ${namespace ? `${namespace}/` : ""}${name ?? "(no name)"}`;
}
