// Where Pepr lives for the bench: its own install beside this file, and the bundles built from it.
// The bundles go to node_modules/.cache/bench (out of git, biome and tsc), so the module bundle's
// `require("pepr")` finds this folder's node_modules/pepr the way /app/module-<hash>.js finds
// /app/node_modules/pepr in Pepr's image.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("./", import.meta.url));
const nodeModules = join(root, "node_modules");
const out = join(nodeModules, ".cache", "bench");

export const PEPR_VERSION = "1.1.4";

export const peprLayout = {
  root,
  nodeModules,
  peprPackageJson: join(nodeModules, "pepr", "package.json"),
  peprSource: join(nodeModules, "pepr", "src"),
  esbuild: join(nodeModules, "esbuild", "lib", "main.js"),
  entry: join(root, "entry.ts"),
  out,
  moduleBundle: join(out, "pepr-module-bench.cjs"),
  assets: join(out, "assets"),
} as const;
