// prepare(): install Pepr 1.1.4 into this folder when it is missing, then bundle the bench module
// the way `pepr build` does, and bundle the parts of Pepr's own source the harness calls (its
// webhook configuration generator, its PeprStore CRD), which its package does not export.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";
import { PEPR_VERSION, peprLayout } from "./layout.ts";

interface PackageJson {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
}

function readPackageJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, "utf8")) as PackageJson;
}

function installed(): boolean {
  return (
    existsSync(peprLayout.peprPackageJson) &&
    readPackageJson(peprLayout.peprPackageJson).version === PEPR_VERSION &&
    existsSync(peprLayout.esbuild)
  );
}

/** The npm that came with the node running us, else the one on PATH. */
function npmCommand(): string {
  const beside = join(dirname(process.execPath), "npm");
  return existsSync(beside) ? beside : "npm";
}

export function installPepr(): void {
  if (installed()) return;
  process.stderr.write(`pepr engine: installing pepr@${PEPR_VERSION} into ${peprLayout.nodeModules}\n`);
  execFileSync(npmCommand(), ["ci", "--prefix", peprLayout.root, "--no-audit", "--no-fund"], {
    stdio: ["ignore", process.stderr, process.stderr],
  });
  if (!installed()) throw new Error(`npm ci did not install pepr@${PEPR_VERSION} in ${peprLayout.nodeModules}`);
}

async function esbuild(): Promise<typeof Esbuild> {
  return (await import(pathToFileURL(peprLayout.esbuild).href)) as typeof Esbuild;
}

// No tsconfig lookup: the repository's tsconfig maps "pepr" to capstan's source.
const NO_TSCONFIG = "{}";

/**
 * Pepr's build options (src/cli/build/buildModule.ts in pepr@1.1.4): one minified CJS file with
 * kept names, Pepr and its own dependencies left external (they come from its install). `overrides`
 * (another entry and outfile, a module's tsconfig) serve the compat suite's Pepr run (test/compat/pepr).
 */
export async function bundleModule(overrides: Esbuild.BuildOptions = {}): Promise<void> {
  const { build } = await esbuild();
  const peprDependencies = Object.keys(readPackageJson(peprLayout.peprPackageJson).dependencies ?? {});
  await build({
    entryPoints: [peprLayout.entry],
    outfile: peprLayout.moduleBundle,
    bundle: true,
    external: [...peprDependencies, "pepr", "@kubernetes/client-node"],
    format: "cjs",
    keepNames: true,
    legalComments: "external",
    minify: true,
    platform: "node",
    sourcemap: true,
    treeShaking: true,
    tsconfigRaw: NO_TSCONFIG,
    logLevel: "warning",
    ...overrides,
  });
}

/** Pepr's webhook generator and store CRD, from its TypeScript source, as ES modules. */
export async function bundlePeprAssets(): Promise<void> {
  const { build } = await esbuild();
  const assets = join(peprLayout.peprSource, "lib", "assets");
  await build({
    entryPoints: { webhooks: join(assets, "webhooks.ts"), store: join(assets, "store.ts") },
    outdir: peprLayout.assets,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    tsconfigRaw: NO_TSCONFIG,
    logLevel: "warning",
  });
}
