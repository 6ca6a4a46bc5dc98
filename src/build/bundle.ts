import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { build, type Message } from "esbuild";
import { MODULE_FILE } from "../contract/index.ts";

export interface BundleOptions {
  readonly moduleDir: string;
  /** The entry file, relative to `moduleDir`. */
  readonly entry: string;
  readonly outDir: string;
  /** Minify (default true); names are kept either way so logs and `keepNames` stack traces stay readable. */
  readonly minify?: boolean;
}

export interface BundleResult {
  readonly outFile: string;
  readonly mapFile: string;
  readonly code: Buffer;
  readonly map: Buffer;
  /** The module's own source files (not dependencies), absolute paths. */
  readonly ownSources: readonly string[];
  /** Bytes of dependency code that went into the bundle. */
  readonly dependencyBytes: number;
}

// `capstan` stays external: the runtime image provides it, so the module and the runtime share one
// instance (one kinds registry, one loaded-module list). Everything else is bundled.
const external = ["capstan", "capstan/*"];

// Pepr modules import "pepr" (and its deep paths such as "pepr/src/lib/k8s") and Pepr's client
// "kubernetes-fluent-client"; both name capstan at run time, so a module holds one client and one
// kinds registry whichever name it imports them by (ADR 0010). esbuild carries subpaths over.
export const compatAliases: Readonly<Record<string, string>> = {
  pepr: "capstan",
  "kubernetes-fluent-client": "capstan/kubernetes-fluent-client",
};

// Bundled CommonJS dependencies may call `require`; ES modules have none, so the bundle makes one.
const requireShim =
  'import { createRequire as __capstanCreateRequire } from "node:module";\nconst require = __capstanCreateRequire(import.meta.url);';

function formatMessage(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: `
    : "";
  return `${where}${message.text}`;
}

/** Bundles the module's entry into one ES module with a source map, `dist/module.mjs`. */
export async function bundleModule(options: BundleOptions): Promise<BundleResult> {
  const moduleDir = resolve(options.moduleDir);
  const entry = resolve(moduleDir, options.entry);
  const outFile = join(resolve(moduleDir, options.outDir), MODULE_FILE);
  const result = await build({
    absWorkingDir: moduleDir,
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    keepNames: true,
    minify: options.minify ?? true,
    sourcemap: "linked",
    // Stack traces need only the mappings; the sources are in the module repository, and shipping
    // their text would double the Secrets of a module with large dependencies.
    sourcesContent: false,
    legalComments: "eof",
    metafile: true,
    external,
    alias: { ...compatAliases },
    banner: { js: requireShim },
    logLevel: "silent",
    write: true,
  }).catch((error: unknown) => {
    const errors = (error as { errors?: Message[] }).errors;
    if (!errors) throw error;
    throw new Error(`Bundling ${options.entry} failed:\n${errors.map(formatMessage).join("\n")}`);
  });
  const ownSources: string[] = [];
  let dependencyBytes = 0;
  for (const [path, input] of Object.entries(result.metafile.inputs)) {
    if (path.includes("node_modules/") || path.startsWith("<")) dependencyBytes += input.bytes;
    else ownSources.push(isAbsolute(path) ? path : join(moduleDir, path));
  }
  return {
    outFile,
    mapFile: `${outFile}.map`,
    code: await readFile(outFile),
    map: await readFile(`${outFile}.map`),
    ownSources,
    dependencyBytes,
  };
}

/** Whether any of the module's own files names the Store (`Store`, `ScheduleStore` does not count). */
export async function sourcesUseStore(files: readonly string[]): Promise<boolean> {
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (/\bStore\b/.test(text)) return true;
  }
  return false;
}
