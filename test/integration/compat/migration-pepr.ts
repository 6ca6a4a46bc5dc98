// Pepr 1.1.4's side of the migration test: the module bundled the way `pepr build` bundles it, and
// the manifests `pepr build` writes, made by Pepr's own generators (its Assets class, getDeployment,
// getWatcher, service, watcherService, generateAllYaml) from its installed TypeScript source. Pepr is
// installed like the bench installs it (bench/engines/pepr, outside capstan's dependencies).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";
import { bundlePeprAssets, installPepr } from "../../../bench/engines/pepr/build.ts";
import { discoverCapabilities } from "../../../bench/engines/pepr/capabilities.ts";
import { peprLayout } from "../../../bench/engines/pepr/layout.ts";

interface PeprGenerators {
  Assets: new (
    config: Record<string, unknown>,
    path: string,
    imagePullSecrets: string[],
    host?: string,
  ) => {
    capabilities: unknown[];
    readonly apiPath: string;
    allYaml(generate: unknown, controllers: Record<string, unknown>): Promise<string>;
  };
  generateAllYaml: unknown;
  getDeployment: unknown;
  getWatcher: unknown;
  service: unknown;
  watcherService: unknown;
}

const noTsconfig = "{}";

async function esbuild(): Promise<typeof Esbuild> {
  return (await import(pathToFileURL(peprLayout.esbuild).href)) as typeof Esbuild;
}

export interface PeprBuild {
  /** The module bundle (`require("pepr")` resolves to the installed Pepr 1.1.4). */
  readonly bundle: string;
  /** `pepr build`'s manifests for the module, as YAML. */
  readonly yaml: string;
  readonly apiPath: string;
}

/**
 * Bundles `<moduleDir>/<entry>` like `pepr build` and generates Pepr's manifests for it. `config` is
 * the package.json `pepr` block plus the description, as Pepr's build hands it to its Assets.
 */
export async function peprBuild(
  moduleDir: string,
  entry: string,
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<PeprBuild> {
  installPepr();
  // The CRD and webhook generators installPeprClusterResources calls, bundled from Pepr's source.
  await bundlePeprAssets();
  const { build } = await esbuild();
  const out = join(peprLayout.out, `migration-${String(config.uuid)}`);
  mkdirSync(out, { recursive: true });
  const bundle = join(out, "module.cjs");
  await build({
    entryPoints: [join(moduleDir, entry)],
    outfile: bundle,
    bundle: true,
    external: ["pepr", "@kubernetes/client-node", "kubernetes-fluent-client"],
    format: "cjs",
    keepNames: true,
    minify: true,
    platform: "node",
    treeShaking: true,
    tsconfigRaw: noTsconfig,
    logLevel: "warning",
  });
  const assets = join(peprLayout.peprSource, "lib", "assets");
  await build({
    entryPoints: {
      assets: join(assets, "assets.ts"),
      all: join(assets, "yaml", "generateAllYaml.ts"),
      objects: join(assets, "k8sObjects.ts"),
    },
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    tsconfigRaw: noTsconfig,
    logLevel: "warning",
  });
  const load = async <T>(name: string) => (await import(pathToFileURL(join(out, `${name}.mjs`)).href)) as T;
  const generators = {
    ...(await load<Pick<PeprGenerators, "Assets">>("assets")),
    ...(await load<Pick<PeprGenerators, "generateAllYaml">>("all")),
    ...(await load<Pick<PeprGenerators, "getDeployment" | "getWatcher" | "service" | "watcherService">>("objects")),
  };
  const peprAssets = new generators.Assets(config, bundle, []);
  peprAssets.capabilities = await discoverCapabilities(bundle, env);
  const yaml = await peprAssets.allYaml(generators.generateAllYaml, {
    getDeploymentFunction: generators.getDeployment,
    getWatcherFunction: generators.getWatcher,
    getServiceFunction: generators.service,
    getWatcherServiceFunction: generators.watcherService,
  });
  return { bundle, yaml, apiPath: peprAssets.apiPath };
}
