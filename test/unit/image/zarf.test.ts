import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultsReader } from "../../../src/build/chart-values.ts";
import { helmChart, staticYaml } from "../../../src/build/helm-chart.ts";
import { deploymentImages } from "../../../src/build/image-check.ts";
import { moduleManifests } from "../../../src/build/manifests.ts";
import { writeZarfPackage, type ZarfMode, zarfPackage } from "../../../src/build/zarf.ts";
import { fullModule, input } from "../build/fixtures.ts";

// zarf.yaml against Zarf's package schema (v1alpha1 ZarfPackage): the top-level fields, the
// metadata, and each component's manifests/charts/images, with every referenced file on disk.

const out = mkdtempSync(join(tmpdir(), "capstan-zarf-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const manifestInput = input(fullModule, { image: { repository: "127.0.0.1:5000/capstan-demo", tag: "0.1.0" } });
const manifests = moduleManifests(manifestInput);
const objects = manifests.objects(defaultsReader(manifests.catalog));
const manifestFile = join(out, `capstan-module-${fullModule.config.uuid}.yaml`);
const chartDir = join(out, `${fullModule.config.uuid}-chart`);
writeFileSync(manifestFile, staticYaml(objects));
for (const file of helmChart(manifests, {
  name: "capstan-demo",
  version: "0.1.0",
  appVersion: "0.1.0",
  description: "demo",
})) {
  mkdirSync(dirname(join(chartDir, file.path)), { recursive: true });
  writeFileSync(join(chartDir, file.path), file.content);
}

function zarfInput(mode: ZarfMode) {
  return {
    mode,
    uuid: fullModule.config.uuid,
    description: "demo module",
    version: "0.1.0",
    namespace: manifestInput.namespace,
    outDir: out,
    manifestFile,
    chartDir,
    chartVersion: "0.1.0",
    images: deploymentImages(objects),
  };
}

// Zarf's names: lowercase alphanumerics and dashes (the schema's pattern for package and component names).
const ZARF_NAME = /^[a-z0-9][a-z0-9-]*$/;
const PACKAGE_KEYS = ["kind", "metadata", "components"];
const COMPONENT_KEYS = ["name", "description", "required", "manifests", "charts", "images"];

describe("zarf.yaml", () => {
  for (const mode of ["manifest", "chart"] as const) {
    it(`${mode} mode follows the ZarfPackageConfig schema and names files that exist`, async () => {
      const file = await writeZarfPackage(zarfInput(mode));
      expect(file).toBe(join(out, "zarf.yaml"));
      const pkg = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      expect(Object.keys(pkg)).toEqual(PACKAGE_KEYS);
      expect(pkg.kind).toBe("ZarfPackageConfig");
      const metadata = pkg.metadata as Record<string, unknown>;
      expect(Object.keys(metadata).sort()).toEqual(["description", "name", "version"]);
      expect(metadata.name).toBe(`capstan-${fullModule.config.uuid}`);
      expect(metadata.name).toMatch(ZARF_NAME);
      expect(metadata.version).toBe("0.1.0");
      expect(metadata.description).toBe("demo module");
      const components = pkg.components as Record<string, unknown>[];
      expect(components, "the schema requires at least one component").toHaveLength(1);
      const component = components[0] as Record<string, unknown>;
      for (const key of Object.keys(component)) expect(COMPONENT_KEYS).toContain(key);
      expect(component.name).toMatch(ZARF_NAME);
      expect(component.required).toBe(true);
      expect(component.images).toEqual(["127.0.0.1:5000/capstan-demo:0.1.0"]);
      if (mode === "manifest") {
        expect(component.charts).toBeUndefined();
        const entries = component.manifests as Record<string, unknown>[];
        expect(entries).toHaveLength(1);
        const entry = entries[0] as { name: string; namespace: string; files: string[] };
        expect(Object.keys(entry).sort()).toEqual(["files", "name", "namespace"]);
        expect(entry.name).toMatch(ZARF_NAME);
        expect(entry.namespace).toBe(manifestInput.namespace);
        // Local files are relative to zarf.yaml.
        expect(entry.files).toEqual([`capstan-module-${fullModule.config.uuid}.yaml`]);
        for (const path of entry.files) expect(statSync(join(out, path)).isFile()).toBe(true);
      } else {
        expect(component.manifests).toBeUndefined();
        const charts = component.charts as Record<string, unknown>[];
        expect(charts).toHaveLength(1);
        const chart = charts[0] as { name: string; namespace: string; version: string; localPath: string };
        expect(Object.keys(chart).sort()).toEqual(["localPath", "name", "namespace", "version"]);
        expect(chart.name).toMatch(ZARF_NAME);
        expect(chart.namespace).toBe(manifestInput.namespace);
        expect(chart.localPath).toBe(`${fullModule.config.uuid}-chart`);
        expect(existsSync(join(out, chart.localPath, "Chart.yaml"))).toBe(true);
        const chartYaml = parse(readFileSync(join(out, chart.localPath, "Chart.yaml"), "utf8")) as { version: string };
        expect(chart.version, "Zarf's chart version is the chart's own").toBe(chartYaml.version);
      }
    });
  }

  it("refuses an unknown mode and a build without an image, saying what to do", () => {
    expect(() => zarfPackage({ ...zarfInput("manifest"), mode: "helm" as ZarfMode })).toThrow(
      /use --zarf manifest or --zarf chart/,
    );
    expect(() => zarfPackage({ ...zarfInput("chart"), images: [] })).toThrow(/no runtime image/);
  });
});
