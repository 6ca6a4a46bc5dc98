import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import { helmChart, templatize, toYaml } from "../../../src/build/helm-chart.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { fullModule, input } from "./fixtures.ts";

const meta = { name: "capstan-demo", version: "0.1.0", appVersion: "0.1.0", description: "demo" };

describe("Helm chart", () => {
  const manifests = moduleManifests(input(fullModule));
  const files = helmChart(manifests, meta);
  const templates = files.filter((file) => file.path.startsWith("templates/"));

  it("has one template per object, plus Chart.yaml, values.yaml and values.schema.json", () => {
    const objects = manifests.objects(defaultsReader(manifests.catalog));
    const services = objects.filter((object) => object.kind === "Service").length;
    // Plus a ServiceMonitor per role and the dashboard ConfigMap (Helm only, off by default) and the helpers.
    expect(templates).toHaveLength(objects.length + services + 2);
    expect(files.map((file) => file.path).slice(0, 4)).toEqual([
      "Chart.yaml",
      "values.yaml",
      "values.schema.json",
      "templates/_helpers.tpl",
    ]);
    expect(parse(files[0]?.content as string)).toMatchObject({
      apiVersion: "v2",
      name: "capstan-demo",
      version: "0.1.0",
    });
  });

  it("reads every declared value and only declared values", () => {
    const read = new Set(
      templates.flatMap((file) => [...file.content.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1])),
    );
    expect([...read].sort()).toEqual(
      manifests.catalog
        .all()
        .map((value) => value.path)
        .sort(),
    );
  });

  it("values.yaml holds each declared default, and the schema forbids unknown keys", () => {
    const values = parse(files[1]?.content as string);
    expect(values.admission.replicas).toBe(2);
    expect(values.image).toEqual({
      repository: "example.com/capstan-runtime",
      tag: "0.1.0",
      pullPolicy: "IfNotPresent",
    });
    const schema = JSON.parse(files[2]?.content as string);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.admission.properties.replicas).toMatchObject({ type: "integer", minimum: 1 });
  });

  it("turns markers into template actions: scalars, quoted strings, blocks, inline and spliced lists", () => {
    const text = toYaml({
      spec: {
        replicas: "__HELMR__a.replicas__",
        name: "__HELMQ__a.name__",
        resources: "__HELMB__a.resources__",
        image: "__HELMI__image.repository__:__HELMI__image.tag__",
        env: [{ name: "X", value: "1" }, "__HELMS__env__"],
      },
    });
    expect(templatize(text)).toBe(
      [
        "spec:",
        "  replicas: {{ .Values.a.replicas }}",
        "  name: {{ .Values.a.name | quote }}",
        "  resources: {{- toYaml .Values.a.resources | nindent 4 }}",
        '  image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
        "  env:",
        "    - name: X",
        '      value: "1"',
        "{{- with .Values.env }}{{- toYaml . | nindent 4 }}{{- end }}",
        "",
      ].join("\n"),
    );
  });

  it("refuses a marker it cannot place", () => {
    expect(() => templatize(toYaml({ list: ["__HELMB__a.b__"] }))).toThrow(/marker was left/);
  });
});
