// Writes src/build/cel-schema/kubernetes.json: the field types of every built-in kind, as the API
// server's CEL type checker sees them, from a real kube-apiserver's OpenAPI v3 documents (the one the
// project builds, or `--kubeconfig` of another cluster). `capstan build` type-checks ValidateCEL
// expressions against it (src/build/cel-typecheck.ts). Run again after a Kubernetes upgrade:
//   npx node scripts/gen-cel-schema.ts [--kubeconfig FILE]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApiClient } from "../src/k8s/api-client.ts";
import { startTestCluster } from "../src/testing/cluster.ts";

interface Schema {
  type?: string;
  format?: string;
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-group-version-kind"?: { group: string; version: string; kind: string }[];
}

const { values } = parseArgs({ options: { kubeconfig: { type: "string" } } });
const cluster = values.kubeconfig ? undefined : await startTestCluster();
const client = await ApiClient.fromKubeconfig({ kubeconfig: values.kubeconfig ?? cluster?.kubeconfig });
const output = new URL("../src/build/cel-schema/kubernetes.json", import.meta.url);

try {
  const index = await client.request<{ paths: Record<string, { serverRelativeURL: string }> }>({ path: "/openapi/v3" });
  const schemas = new Map<string, Schema>();
  const kinds: Record<string, string> = {};
  for (const [path, { serverRelativeURL }] of Object.entries(index.paths)) {
    if (!/^(api\/v1|apis\/[^/]+\/[^/]+)$/.test(path)) continue;
    const document = await client.request<{ components?: { schemas?: Record<string, Schema> } }>({
      path: serverRelativeURL.split("?")[0] as string,
    });
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      schemas.set(name, schema);
      for (const gvk of schema["x-kubernetes-group-version-kind"] ?? []) {
        if (schema.properties?.metadata && !gvk.kind.endsWith("List")) {
          kinds[[gvk.group, gvk.version, gvk.kind].filter(Boolean).join("/")] = name;
        }
      }
    }
  }
  const types: Record<string, Record<string, string>> = {};
  const refName = (ref: string) => ref.replace("#/components/schemas/", "");
  // A CEL type name is dotted identifiers: "apiextensions-apiserver" becomes "apiextensions_apiserver".
  const celName = (name: string) => name.replace(/[^\w.]/g, "_");
  const celType = (schema: Schema): string => {
    const ref = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0]?.$ref : undefined);
    if (ref) return typeOf(refName(ref));
    if (schema["x-kubernetes-int-or-string"] || schema["x-kubernetes-preserve-unknown-fields"]) return "dyn";
    if (schema.oneOf || schema.anyOf || schema.allOf) return "dyn";
    switch (schema.type) {
      case "string":
        return schema.format === "byte" ? "bytes" : schema.format === "date-time" ? "google.protobuf.Timestamp" : "string";
      case "integer":
        return "int";
      case "number":
        return "double";
      case "boolean":
        return "bool";
      case "array":
        return schema.items ? `list<${celType(schema.items)}>` : "list<dyn>";
      case "object":
        if (typeof schema.additionalProperties === "object") return `map<string, ${celType(schema.additionalProperties)}>`;
        return schema.properties ? objectType(schema) : "dyn";
      default:
        return "dyn";
    }
  };
  let anonymous = 0;
  const objectType = (schema: Schema): string => {
    const name = `inline.${++anonymous}`;
    types[name] = {};
    for (const [field, fieldSchema] of Object.entries(schema.properties ?? {})) {
      (types[name] as Record<string, string>)[field] = celType(fieldSchema);
    }
    return name;
  };
  const typeOf = (name: string): string => {
    const schema = schemas.get(name);
    if (!schema) return "dyn";
    if (!schema.properties) return celType({ ...schema, $ref: undefined });
    const type = celName(name);
    if (types[type]) return type;
    types[type] = {};
    for (const [field, fieldSchema] of Object.entries(schema.properties)) {
      (types[type] as Record<string, string>)[field] = celType(fieldSchema);
    }
    return type;
  };
  for (const [kind, name] of Object.entries(kinds)) kinds[kind] = typeOf(name);
  const version = await client.request<{ gitVersion: string }>({ path: "/version" });
  const sorted = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const table = {
    source: `kube-apiserver ${version.gitVersion} /openapi/v3 (scripts/gen-cel-schema.ts)`,
    kinds: sorted(kinds),
    types: sorted(types),
  };
  writeFileSync(output, `${JSON.stringify(table)}\n`);
  console.log(
    `wrote ${output.pathname}: ${Object.keys(kinds).length} kinds, ${Object.keys(types).length} types`,
  );
} finally {
  await client.close();
  await cluster?.stop();
}
