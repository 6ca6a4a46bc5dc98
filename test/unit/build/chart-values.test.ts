import { describe, expect, it } from "vitest";
import { defaultsReader, markerReader, ValueCatalog } from "../../../src/build/chart-values.ts";
import { templatize, toYaml } from "../../../src/build/helm-chart.ts";

function catalog(): ValueCatalog {
  const values = new ValueCatalog();
  values.declare({
    path: "podSecurityContext",
    reads: ["admission.securityContext", "controller.securityContext"],
    type: "object",
    default: { runAsNonRoot: true },
    description: "shared by both roles",
  });
  values.declare({
    path: "watcher.podLabels",
    reads: ["controller.podLabels"],
    type: "object",
    default: {},
    description: "",
  });
  values.declare({ path: "ignored", type: "array", default: ["a", "b"], description: "" });
  values.declare({ path: "secret", type: "string", default: Buffer.from("p4th").toString("base64"), description: "" });
  values.declare({ path: "anti", type: "boolean", default: true, description: "" });
  values.declare({ path: "affinity", type: "object", default: { nodeAffinity: { x: 1 } }, description: "" });
  values.declare({ path: "pullPolicy", type: "string", default: "IfNotPresent", constant: true, description: "" });
  return values;
}

describe("chart values", () => {
  it("several keys may read one chart value, under another path; constants are not chart values", () => {
    const values = catalog();
    expect(values.get("controller.securityContext").path).toBe("podSecurityContext");
    expect(values.get("controller.podLabels").path).toBe("watcher.podLabels");
    expect(values.all().map((value) => value.path)).not.toContain("pullPolicy");
    expect(values.defaults()).not.toHaveProperty("pullPolicy");
    expect(values.schema()).toMatchObject({ properties: { watcher: { additionalProperties: false } } });
    expect(() =>
      values.declare({ path: "other", reads: ["controller.podLabels"], type: "object", default: {}, description: "" }),
    ).toThrow(/declared twice/);
  });

  it("the defaults reader gives what the static YAML holds", () => {
    const read = defaultsReader(catalog());
    expect(read.merged("controller.podLabels", { app: "x" })).toEqual({ app: "x" });
    expect(read.joined("ignored", ",")).toBe("a,b");
    expect(read.decoded("secret")).toBe("p4th");
    expect(read.mergedWhen("anti", { podAntiAffinity: { y: 2 } }, "affinity")).toEqual({
      nodeAffinity: { x: 1 },
      podAntiAffinity: { y: 2 },
    });
    expect(read.value("pullPolicy")).toBe("IfNotPresent");
    expect(read.has("pullPolicy")).toBe(true);
    expect(read.has("controller.image")).toBe(false);
  });

  it("the marker reader turns them into template pipelines; constants stay literal", () => {
    const read = markerReader(catalog());
    const text = toYaml({
      metadata: { labels: read.merged("controller.podLabels", { app: "x" }) },
      spec: {
        securityContext: read.value("admission.securityContext"),
        affinity: read.mergedWhen("anti", { podAntiAffinity: { y: 2 } }, "affinity"),
        pullPolicy: read.value("pullPolicy"),
        env: [
          { name: "IGNORED", value: read.joined("ignored", ",") },
          { name: "PATH", value: `/mutate/${read.decoded("secret")}` },
        ],
      },
    });
    expect(templatize(text, read.expressions).split("\n")).toEqual([
      "metadata:",
      '  labels: {{- mergeOverwrite (fromJson "{\\"app\\":\\"x\\"}") (.Values.watcher.podLabels | default dict) | toYaml | nindent 4 }}',
      "spec:",
      "  securityContext: {{- toYaml .Values.podSecurityContext | nindent 4 }}",
      '  affinity: {{- ternary (mergeOverwrite (deepCopy (.Values.affinity | default dict)) (fromJson "{\\"podAntiAffinity\\":{\\"y\\":2}}")) (.Values.affinity | default dict) .Values.anti | toYaml | nindent 4 }}',
      "  pullPolicy: IfNotPresent",
      "  env:",
      "    - name: IGNORED",
      '      value: "{{ join "," .Values.ignored }}"',
      "    - name: PATH",
      '      value: "/mutate/{{ .Values.secret | b64dec }}"',
      "",
    ]);
  });
});
