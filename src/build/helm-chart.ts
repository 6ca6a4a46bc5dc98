import { stringify } from "yaml";
import { type DeployedRole, deployedRoles, Labels, SERVE_PORT, servingScheme } from "../contract/index.ts";
import { chartHelpers } from "./chart-defaults.ts";
import { type ChartExpression, Marker, markerReader, type ValueReader } from "./chart-values.ts";
import { grafanaDashboard } from "./dashboard.ts";
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
const expressionMarker = `${Marker.expression}([0-9]+)${Marker.end}`;
const blockExpressionLine = new RegExp(`^( *)((?:- )?[^\\s:][^:]*:) ${expressionMarker}$`);
const inlineExpression = new RegExp(expressionMarker, "g");

/** Turns the markers of one serialised object into Helm template actions. */
export function templatize(yamlText: string, expressions: readonly ChartExpression[] = []): string {
  const expressionAt = (index: string | undefined): ChartExpression => {
    const expression = expressions[Number(index)];
    if (!expression) throw new Error(`Chart expression ${index} is not known`);
    return expression;
  };
  const lines = yamlText.split("\n").map((line) => {
    const blockExpression = blockExpressionLine.exec(line);
    if (blockExpression && expressionAt(blockExpression[3]).block) {
      const [, indent = "", key, index] = blockExpression;
      const depth = indent.length + (key?.startsWith("- ") ? 4 : 2);
      return `${indent}${key} {{- ${expressionAt(index).pipeline} | nindent ${depth} }}`;
    }
    if (line.includes(Marker.expression)) {
      const separator = line.indexOf(": ");
      const head = line.slice(0, separator + 2);
      const value = line.slice(separator + 2).replace(/^(["'])(.*)\1$/, "$2");
      const text = value.replace(inlineExpression, (_, index: string) => {
        const expression = expressionAt(index);
        if (expression.block) throw new Error(`Chart expression ${index} is a block, used inside a string`);
        return `{{ ${expression.pipeline} }}`;
      });
      return `${head}"${text.replace(inlineValue, "{{ .Values.$1 }}")}"`;
    }
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

/** The role an object belongs to (Deployment, Service, PodDisruptionBudget). */
function roleOf(object: KubeObject): DeployedRole | undefined {
  // A Deployment's labels are a chart expression; its one container is named after the role.
  const { containers } = (object as { spec?: { template?: { spec?: { containers?: { name: string }[] } } } }).spec
    ?.template?.spec ?? { containers: [] };
  const component = object.kind === "Deployment" ? containers?.[0]?.name : object.metadata.labels?.[Labels.component];
  return deployedRoles.find((role) => role === component);
}

/**
 * A Prometheus-operator ServiceMonitor scraping a role's /metrics through its Service; Helm only, as
 * in Pepr's chart, rendered when `<role>.serviceMonitor.enabled`.
 */
function serviceMonitor(service: KubeObject, role: DeployedRole, values: ValueReader): KubeObject {
  const spec = (service as unknown as { spec: { selector: Record<string, string> } }).spec;
  const scheme = servingScheme[role].toLowerCase();
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: {
      name: service.metadata.name,
      namespace: service.metadata.namespace,
      labels: values.merged(`${role}.serviceMonitor.labels`, service.metadata.labels ?? {}) as Record<string, string>,
      annotations: values.value(`${role}.serviceMonitor.annotations`),
    },
    spec: {
      selector: { matchLabels: spec.selector },
      namespaceSelector: { matchNames: [service.metadata.namespace] },
      endpoints: [
        {
          targetPort: SERVE_PORT,
          path: "/metrics",
          scheme,
          ...(scheme === "https" ? { tlsConfig: { insecureSkipVerify: true } } : {}),
        },
      ],
    },
  } as KubeObject;
}

/** The Grafana dashboard as a ConfigMap a Grafana sidecar picks up by label; Helm only. */
function dashboardConfigMap(meta: ChartMeta, namespace: string, values: ValueReader): KubeObject {
  const name = `${meta.name}-dashboard`;
  const dashboard = grafanaDashboard(`capstan module ${meta.name}`, name.slice(0, 40));
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      labels: values.value("dashboard.labels") as Record<string, string>,
      annotations: values.value("dashboard.annotations") as Record<string, string>,
    },
    data: { [`${name}.json`]: `${JSON.stringify(dashboard, null, 2)}\n` },
  } as KubeObject;
}

/** Wraps a role's templates in `if <role>.enabled` (and more conditions). */
function gated(text: string, conditions: readonly string[]): string {
  if (conditions.length === 0) return text;
  const test = conditions.length === 1 ? conditions[0] : `and ${conditions.map((c) => `(${c})`).join(" ")}`;
  return `{{- if ${test} }}\n${text}{{- end }}\n`;
}

/** Object names derive from the uuid at build time; a different one in the values is refused, not half applied. */
function uuidGuard(uuid: string): string {
  const message = `uuid: this chart was built for module ${uuid}; object names derive from it, so set a new uuid in package.json and rebuild instead`;
  return `{{- if ne .Values.uuid ${JSON.stringify(uuid)} }}{{ fail ${JSON.stringify(message)} }}{{ end }}\n`;
}

/** Chart.yaml, values.yaml, values.schema.json, the helpers and one template per object. */
export function helmChart(manifests: ModuleManifests, meta: ChartMeta): ChartFile[] {
  const { catalog } = manifests;
  const reader = markerReader(catalog);
  const objects = manifests.objects(reader);
  const enabled = (role: DeployedRole) => `.Values.${catalog.get(`${role}.enabled`).path}`;
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
    { path: "templates/_helpers.tpl", content: chartHelpers },
  ];
  const monitors: { role: DeployedRole; object: KubeObject }[] = [];
  const templates = objects.map((object) => {
    const role = roleOf(object);
    if (role && object.kind === "Service") monitors.push({ role, object: serviceMonitor(object, role, reader) });
    return { object, conditions: role ? [enabled(role)] : [] };
  });
  for (const { role, object } of monitors) {
    const monitorEnabled = `.Values.${catalog.get(`${role}.serviceMonitor.enabled`).path}`;
    templates.push({ object, conditions: [enabled(role), monitorEnabled] });
  }
  const namespace = (objects.find((object) => object.kind === "Deployment")?.metadata.namespace ?? "") as string;
  templates.push({
    object: dashboardConfigMap(meta, namespace, reader),
    conditions: [`.Values.${catalog.get("dashboard.enabled").path}`],
  });
  templates.forEach(({ object, conditions }, index) => {
    const text = templatize(toYaml(object), reader.expressions);
    const guard = index === 0 ? uuidGuard(String(catalog.get("uuid").default)) : "";
    files.push({ path: templateName(object, index), content: guard + gated(text, conditions) });
  });
  return files;
}

/** The static multi-document YAML: the same objects with the default values. */
export function staticYaml(objects: readonly KubeObject[]): string {
  return objects.map((object) => toYaml(object)).join("---\n");
}
