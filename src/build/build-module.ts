import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { chunkPayload, resourceNames } from "../contract/index.ts";
import { flavorOf, moduleNamespace } from "../model/index.ts";
import { bundleModule, sourcesUseStore } from "./bundle.ts";
import { defaultsReader } from "./chart-values.ts";
import { discoverModule } from "./discover.ts";
import { helmChart, staticYaml } from "./helm-chart.ts";
import { DEFAULT_IMAGE_REPOSITORY, type ManifestInput } from "./manifest-input.ts";
import { moduleManifests } from "./manifests.ts";
import { type ModuleDescription, moduleNeeds } from "./module-description.ts";
import { defaultEntry, installedCapstanVersion, moduleConfigOf, readModulePackage } from "./module-package.ts";
import { deriveRbac, type RbacMode } from "./rbac.ts";
import { scanRbacGaps } from "./rbac-scan.ts";

export interface BuildOptions {
  readonly moduleDir: string;
  readonly entry?: string;
  readonly outDir?: string;
  readonly rbacMode?: RbacMode;
  /** `<repository>[:<tag>]`; the tag defaults to the installed capstan version. */
  readonly image?: string;
  readonly antiAffinity?: boolean;
  readonly typecheck?: boolean;
  readonly onProgress?: (step: string) => void;
}

export interface BuildReport {
  readonly outDir: string;
  readonly manifestFile: string;
  readonly chartDir: string;
  readonly description: ModuleDescription;
  readonly bundleBytes: number;
  readonly zippedBytes: number;
  readonly chunkSecrets: number;
  readonly objects: number;
  /** K8s() calls in the module's own files that the generated RBAC rules do not cover (a heuristic scan). */
  readonly rbacWarnings: readonly string[];
}

function parseImage(image: string | undefined, moduleDir: string): { repository: string; tag: string } {
  if (!image) return { repository: DEFAULT_IMAGE_REPOSITORY, tag: installedCapstanVersion(moduleDir) };
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  if (colon > slash) return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repository: image, tag: installedCapstanVersion(moduleDir) };
}

/** Type-checks with the module's own TypeScript (or capstan's when the module has none). */
export async function typecheck(moduleDir: string): Promise<void> {
  if (!existsSync(join(moduleDir, "tsconfig.json"))) return;
  let tsc: string;
  try {
    tsc = join(
      dirname(createRequire(join(moduleDir, "package.json")).resolve("typescript/package.json")),
      "bin",
      "tsc",
    );
  } catch {
    tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
  }
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: moduleDir });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    child.on("error", reject);
    child.on("close", resolvePromise);
  });
  if (code !== 0) {
    throw new Error(
      `Type errors (fix them, or build with --no-typecheck):\n${Buffer.concat(output).toString().trim()}`,
    );
  }
}

/** `capstan build`: typecheck, bundle, discover, then write the static YAML and the Helm chart. */
export async function buildModule(options: BuildOptions): Promise<BuildReport> {
  const moduleDir = resolve(options.moduleDir);
  const progress = options.onProgress ?? (() => {});
  const pkg = readModulePackage(moduleDir);
  moduleConfigOf(moduleDir);
  const entry = options.entry ?? defaultEntry(moduleDir);
  if (!existsSync(join(moduleDir, entry))) throw new Error(`Entry point ${join(moduleDir, entry)} does not exist`);
  const outDir = resolve(moduleDir, options.outDir ?? "dist");
  if (options.typecheck !== false) {
    progress("type-checking");
    await typecheck(moduleDir);
  }
  progress(`bundling ${entry}`);
  const bundle = await bundleModule({ moduleDir, entry, outDir });
  progress("discovering capabilities (no callback runs)");
  const discovered = await discoverModule(bundle.outFile);
  const config = { ...discovered.config, namespace: moduleNamespace(discovered.config) };
  const storeFlag = (config as { store?: unknown }).store;
  const description: ModuleDescription = {
    packageName: pkg.name ?? config.uuid,
    version: pkg.version ?? "0.0.1",
    description: pkg.description ?? config.description ?? "",
    config,
    capabilities: discovered.capabilities,
    hooks: discovered.hooks,
    storeUsed: storeFlag === true || (storeFlag !== false && (await sourcesUseStore(bundle.ownSources))),
  };
  progress("writing manifests and Helm chart");
  const input: ManifestInput = {
    module: description,
    namespace: config.namespace,
    image: parseImage(options.image, moduleDir),
    rbacMode: options.rbacMode ?? "scoped",
    antiAffinity: options.antiAffinity ?? false,
    code: chunkPayload("code", bundle.code),
    map: chunkPayload("map", bundle.map),
  };
  const manifests = moduleManifests(input);
  const flavor = flavorOf(config);
  const rbac = deriveRbac(description, moduleNeeds(description), resourceNames(config.uuid, flavor), input.rbacMode);
  const rbacWarnings =
    input.rbacMode === "admin"
      ? []
      : await scanRbacGaps(bundle.ownSources, [...rbac.clusterRules, ...rbac.namespaceRules], flavor, moduleDir);
  const objects = manifests.objects(defaultsReader(manifests.catalog));
  // Pepr's file name for a Pepr module, so a team's scripts keep finding `dist/pepr-module-<uuid>.yaml`.
  const manifestFile = join(outDir, `${config.flavor ?? "capstan"}-module-${config.uuid}.yaml`);
  await writeFile(manifestFile, staticYaml(objects));
  await writeFile(join(outDir, "module-description.json"), `${JSON.stringify(description, null, 2)}\n`);
  const chartDir = join(outDir, `${config.uuid}-chart`);
  await rm(chartDir, { recursive: true, force: true });
  for (const file of helmChart(manifests, {
    name: `capstan-${config.uuid}`,
    version: description.version,
    appVersion: input.image.tag,
    description: description.description,
  })) {
    const target = join(chartDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
  return {
    outDir,
    manifestFile,
    chartDir,
    description,
    bundleBytes: bundle.code.length,
    zippedBytes: input.code.chunks.reduce((sum, chunk) => sum + chunk.data.length, 0),
    chunkSecrets: input.code.chunks.length + (input.map?.chunks.length ?? 0),
    objects: objects.length,
    rbacWarnings,
  };
}
