import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type ModuleConfig, type PackageJSON, parseModuleConfig } from "../model/index.ts";

export interface ModulePackage extends PackageJSON {
  name?: string;
  version?: string;
}

/** Reads the module's package.json; errors name the file and what to fix. */
export function readModulePackage(moduleDir: string): ModulePackage {
  const file = join(moduleDir, "package.json");
  if (!existsSync(file))
    throw new Error(`${file} not found: run capstan in a module folder (or create one with capstan init)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!parsed || typeof parsed !== "object") throw new Error(`${file} must hold a JSON object`);
  return parsed as ModulePackage;
}

/** The module config from package.json (`capstan`, or Pepr's `pepr` key), validated. */
export function moduleConfigOf(moduleDir: string): ModuleConfig {
  const pkg = readModulePackage(moduleDir);
  try {
    return parseModuleConfig(pkg);
  } catch (error) {
    throw new Error(`${join(moduleDir, "package.json")}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The entry file: `capstan.ts`, else Pepr's `pepr.ts`. */
export function defaultEntry(moduleDir: string): string {
  for (const candidate of ["capstan.ts", "pepr.ts"]) if (existsSync(join(moduleDir, candidate))) return candidate;
  throw new Error(`No capstan.ts or pepr.ts in ${moduleDir}: pass --entry-point <file>`);
}

/** The capstan a module installed, under whichever dependency name (`capstan`, or Pepr's `pepr`). */
export interface InstalledCapstan {
  /** The package folder (symlinks resolved). */
  readonly root: string;
  readonly version: string;
  /** The dependency name it is installed under. */
  readonly installedAs: string;
}

/** Names a module may install capstan under, in the order the bundle's own `import "capstan"` resolves them. */
const INSTALL_NAMES = ["capstan", "pepr"] as const;

function packageAt(dir: string): { name?: string; version?: string } | undefined {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
  } catch {
    return undefined;
  }
}

/**
 * Finds the capstan package a module uses: the first of its `capstan` or `pepr` dependencies (looked up
 * the way Node looks up packages, through parent folders) whose own package.json is named `capstan`.
 * Errors say what to install.
 */
export function installedCapstan(moduleDir: string): InstalledCapstan {
  const found: string[] = [];
  for (const installedAs of INSTALL_NAMES) {
    for (let dir = resolve(moduleDir); ; dir = dirname(dir)) {
      const candidate = join(dir, "node_modules", installedAs);
      const pkg = packageAt(candidate);
      if (pkg?.name === "capstan")
        return { root: realpathSync(candidate), version: pkg.version ?? "0.0.0", installedAs };
      if (pkg) {
        found.push(`node_modules/${installedAs} is ${pkg.name ?? "unnamed"}@${pkg.version ?? "?"}`);
        break;
      }
      if (dir === dirname(dir)) break;
    }
  }
  const seen = found.length ? ` (${found.join(", ")})` : "";
  throw new Error(
    `capstan is not installed in ${moduleDir}${seen}: point the module's "pepr" dependency at capstan ` +
      `("pepr": "npm:capstan@<version>" or "file:<capstan tarball>"), or add "capstan", then run npm install`,
  );
}

/** The version of the capstan the module installed (the runtime image must carry the same). */
export function installedCapstanVersion(moduleDir: string): string {
  return installedCapstan(moduleDir).version;
}
