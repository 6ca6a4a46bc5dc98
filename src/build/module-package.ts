import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type ModuleConfig, type PackageJSON, parseModuleConfig } from "../model/module-config.ts";

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

/** The version of the capstan the module installed (the runtime image must carry the same). */
export function installedCapstanVersion(moduleDir: string): string {
  let resolved: string;
  try {
    resolved = createRequire(join(moduleDir, "package.json")).resolve("capstan");
  } catch {
    throw new Error(`capstan is not installed in ${moduleDir}: run npm install (capstan must be a dependency)`);
  }
  for (let dir = dirname(resolved); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "capstan") return pkg.version ?? "0.0.0";
  }
  return "0.0.0";
}
