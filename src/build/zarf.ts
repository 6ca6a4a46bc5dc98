import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { stringify } from "yaml";

// `capstan build --zarf manifest|chart`: a zarf.yaml (Zarf package schema v1alpha1, kind
// ZarfPackageConfig) beside the build output, packaging the module's static manifests or its Helm
// chart, and the runtime image, for `zarf package create` on a connected machine and `zarf package
// deploy` in an air-gapped cluster. Zarf pulls the listed images when it creates the package: push
// the image first (`capstan image build --push`, or `capstan build --image` naming a pushed one).

export type ZarfMode = "manifest" | "chart";
export const ZARF_MODES: readonly ZarfMode[] = ["manifest", "chart"];

export interface ZarfInput {
  readonly mode: ZarfMode;
  readonly uuid: string;
  readonly description: string;
  /** The module's version (package.json). */
  readonly version: string;
  readonly namespace: string;
  /** The folder zarf.yaml is written to; the paths below are made relative to it. */
  readonly outDir: string;
  readonly manifestFile: string;
  readonly chartDir: string;
  readonly chartVersion: string;
  readonly images: readonly string[];
}

export interface ZarfComponent {
  name: string;
  description: string;
  required: boolean;
  manifests?: { name: string; namespace: string; files: string[] }[];
  charts?: { name: string; namespace: string; version: string; localPath: string }[];
  images: string[];
}

export interface ZarfPackage {
  kind: "ZarfPackageConfig";
  metadata: { name: string; description: string; version: string };
  components: ZarfComponent[];
}

/** Zarf's package and component names: lowercase letters, digits and dashes. */
function zarfName(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function zarfPackage(input: ZarfInput): ZarfPackage {
  if (!ZARF_MODES.includes(input.mode)) {
    throw new Error(`--zarf ${input.mode} is not a mode: use --zarf manifest or --zarf chart`);
  }
  if (!input.images.length) throw new Error("The manifests name no runtime image: Zarf needs one to package");
  const component: ZarfComponent = {
    name: "module",
    description: `capstan module ${input.uuid}${input.mode === "chart" ? " (Helm chart)" : ""}`,
    required: true,
    ...(input.mode === "manifest"
      ? {
          manifests: [
            { name: "module", namespace: input.namespace, files: [relative(input.outDir, input.manifestFile)] },
          ],
        }
      : {
          charts: [
            {
              name: "module",
              namespace: input.namespace,
              version: input.chartVersion,
              localPath: relative(input.outDir, input.chartDir),
            },
          ],
        }),
    images: [...input.images],
  };
  return {
    kind: "ZarfPackageConfig",
    metadata: {
      name: zarfName(`capstan-${input.uuid}`),
      description: input.description || `capstan module ${input.uuid}`,
      version: input.version,
    },
    components: [component],
  };
}

/** Writes `<outDir>/zarf.yaml`; returns its path. */
export async function writeZarfPackage(input: ZarfInput): Promise<string> {
  const file = join(input.outDir, "zarf.yaml");
  await writeFile(file, `# Written by capstan build --zarf ${input.mode}\n${stringify(zarfPackage(input))}`);
  return file;
}
