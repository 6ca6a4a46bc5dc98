import { stringify } from "yaml";
import { Marker, markerReader } from "./chart-values.ts";
import type { KubeObject } from "./manifest-input.ts";
import type { ModuleManifests } from "./manifests.ts";

/** A file of the chart, relative to the chart folder. */
export interface ChartFile {
  readonly path: string;
  readonly content: string;
}

const yamlOptions = { lineWidth: 0, aliasDuplicateObjects: false } as const;

export function toYaml(object: unknown): string {
  return stringify(object, yamlOptions);
}

const path = "([A-Za-z0-9_.]+?)";
const blockLine = new RegExp(`^( *)((?:- )?[^\\s:][^:]*:) ${Marker.block}${path}${Marker.end}$`);
const spliceLine = new RegExp(`^( *)- ${Marker.splice}${path}${Marker.end}$`);
const inlineValue = new RegExp(`${Marker.inline}${path}${Marker.end}`, "g");
const quotedValue = new RegExp(`${Marker.quoted}${path}${Marker.end}`, "g");
const rawValue = new RegExp(`${Marker.raw}${path}${Marker.end}`, "g");

/** Turns the markers of one serialised object into Helm template actions. */
export function templatize(yamlText: string): string {
  const lines = yamlText.split("\n").map((line) => {
    const block = blockLine.exec(line);
    if (block) {
      const [, indent = "", key, valuePath] = block;
      const depth = indent.length + (key?.startsWith("- ") ? 4 : 2);
      return `${indent}${key} {{- toYaml .Values.${valuePath} | nindent ${depth} }}`;
    }
    const splice = spliceLine.exec(line);
    if (splice) {
      const [, indent = "", valuePath] = splice;
      return `{{- with .Values.${valuePath} }}{{- toYaml . | nindent ${indent.length} }}{{- end }}`;
    }
    if (line.includes(Marker.inline)) {
      const separator = line.indexOf(": ");
      const head = line.slice(0, separator + 2);
      const value = line.slice(separator + 2).replace(/^(["'])(.*)\1$/, "$2");
      return `${head}"${value.replace(inlineValue, "{{ .Values.$1 }}")}"`;
    }
    return line.replace(quotedValue, "{{ .Values.$1 | quote }}").replace(rawValue, "{{ .Values.$1 }}");
  });
  const text = lines.join("\n");
  if (/__HELM[A-Z]__/.test(text)) throw new Error(`A chart value marker was left in a template:\n${text}`);
  return text;
}

function templateName(object: KubeObject, index: number): string {
  return `templates/${String(index).padStart(2, "0")}-${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

export interface ChartMeta {
  readonly name: string;
  readonly version: string;
  readonly appVersion: string;
  readonly description: string;
}

/** Chart.yaml, values.yaml, values.schema.json and one template per object. */
export function helmChart(manifests: ModuleManifests, meta: ChartMeta): ChartFile[] {
  const objects = manifests.objects(markerReader(manifests.catalog));
  const files: ChartFile[] = [
    {
      path: "Chart.yaml",
      content: toYaml({
        apiVersion: "v2",
        name: meta.name,
        description: meta.description || `capstan module ${meta.name}`,
        type: "application",
        version: meta.version,
        appVersion: meta.appVersion,
      }),
    },
    { path: "values.yaml", content: toYaml(manifests.catalog.defaults()) },
    { path: "values.schema.json", content: `${JSON.stringify(manifests.catalog.schema(), null, 2)}\n` },
  ];
  objects.forEach((object, index) => {
    files.push({ path: templateName(object, index), content: templatize(toYaml(object)) });
  });
  return files;
}

/** The static multi-document YAML: the same objects with the default values. */
export function staticYaml(objects: readonly KubeObject[]): string {
  return objects.map((object) => toYaml(object)).join("---\n");
}
