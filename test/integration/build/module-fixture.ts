import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseManifests } from "../../../src/build/deploy/apply.ts";
import { objectPath } from "../../../src/build/deploy/object-paths.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { findManifest } from "../../../src/cli/commands/deploy.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";

// Installs capstan into a scratch module the way a user gets it: the checkout compiled with the
// build tsconfig, packed with `npm pack`, and unpacked into node_modules/capstan. Its own
// dependencies are the checkout's node_modules (linked), so nothing is downloaded.

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const node = process.execPath;

export function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd}:\n${failed.stdout ?? ""}\n${failed.stderr ?? failed.message}`,
    );
  }
}

/** Compiles and packs the checkout; returns the tarball path. */
export function packCapstan(workDir: string): string {
  const packageDir = join(workDir, "package-src");
  mkdirSync(packageDir, { recursive: true });
  try {
    execFileSync(
      node,
      [
        join(repoRoot, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        join(packageDir, "dist"),
      ],
      {
        cwd: repoRoot,
        stdio: "pipe",
      },
    );
  } catch {
    // Type errors elsewhere in the checkout still emit JavaScript; the checks below decide.
  }
  for (const entry of ["dist/index.js", "dist/cli/main.js", "dist/build/discover-child.js"]) {
    if (!existsSync(join(packageDir, entry))) throw new Error(`The compiled package lacks ${entry}`);
  }
  cpSync(join(repoRoot, "package.json"), join(packageDir, "package.json"));
  cpSync(join(repoRoot, "bin"), join(packageDir, "bin"), { recursive: true });
  const tarball = run("npm", ["pack", packageDir, "--pack-destination", workDir, "--silent"], workDir)
    .trim()
    .split("\n")
    .pop() as string;
  return join(workDir, tarball);
}

/** Unpacks the tarball into `<moduleDir>/node_modules/capstan` with the checkout's dependencies. */
export function installCapstan(moduleDir: string, tarball: string): void {
  const target = join(moduleDir, "node_modules", "capstan");
  mkdirSync(target, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], moduleDir);
  symlinkSync(join(repoRoot, "node_modules"), join(target, "node_modules"));
  // The template's dev dependencies, as npm install would add them (same versions as the checkout's).
  for (const dependency of ["@types", "typescript", "vitest", "@biomejs"]) {
    symlinkSync(join(repoRoot, "node_modules", dependency), join(moduleDir, "node_modules", dependency));
  }
}

/** `capstan <args>` from the checkout (sources). */
export function capstanFromCheckout(args: readonly string[], cwd: string): string {
  return run(node, [join(repoRoot, "bin/capstan.js"), ...args], cwd);
}

/** `capstan <args>` from the module's installed package (compiled dist/), as `npx capstan` would run it. */
export function capstanInstalled(moduleDir: string, args: readonly string[]): string {
  return run(node, [join(moduleDir, "node_modules/capstan/bin/capstan.js"), ...args], moduleDir);
}

export function editPackageJson(moduleDir: string, edit: (pkg: Record<string, unknown>) => void): void {
  const file = join(moduleDir, "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(pkg);
  writeFileSync(file, JSON.stringify(pkg, null, 2));
}

/** The helm binary, built from the Go module proxy on first use (scripts/build-helm.sh). */
export function helmBinary(): string {
  return run("bash", [join(repoRoot, "scripts/build-helm.sh")], repoRoot).trim();
}

export interface ScratchModule {
  readonly work: string;
  readonly moduleDir: string;
  readonly namespace: string;
  readonly uuid: string;
  readonly client: ApiClient;
  /** The objects of dist/capstan-module-<uuid>.yaml (pepr-module-<uuid>.yaml for a Pepr module). */
  readonly objects: KubeObject[];
  /** What `capstan build` printed on stdout. */
  readonly buildOutput: string;
}

export interface ScratchOptions {
  readonly description?: string;
  readonly buildArgs?: readonly string[];
  /** Runs after init and install, before the build (add dependencies, edit sources). */
  readonly beforeBuild?: (moduleDir: string) => void;
}

/**
 * `capstan init` (from the checkout) in a temp folder, capstan installed from the packed tarball, the
 * module's namespace set to a fresh test namespace, then `capstan build` with the installed CLI.
 */
export async function scratchModule(prefix: string, options: ScratchOptions = {}): Promise<ScratchModule> {
  const work = mkdtempSync(join(tmpdir(), `capstan-${prefix}-`));
  const client = await adminClient();
  const namespace = await freshNamespace(client, `build-${prefix}`);
  const uuid = `${prefix}-${namespace.slice(-8)}`;
  const name = `${prefix}-module`;
  const init = ["init", "--yes", "--skip-install", "--name", name, "--uuid", uuid];
  capstanFromCheckout(options.description ? [...init, "--description", options.description] : init, work);
  const moduleDir = join(work, name);
  installCapstan(moduleDir, packCapstan(work));
  editPackageJson(moduleDir, (pkg) => {
    (pkg.capstan as Record<string, unknown>).namespace = namespace;
  });
  options.beforeBuild?.(moduleDir);
  const buildOutput = capstanInstalled(moduleDir, ["build", ...(options.buildArgs ?? [])]);
  const objects = parseManifests(readFileSync(findManifest(join(moduleDir, "dist")), "utf8"));
  return { work, moduleDir, namespace, uuid, client, objects, buildOutput };
}

/** Deletes the module's cluster-scoped objects, its namespace and its temp folder. */
export async function removeScratchModule(module: ScratchModule | undefined): Promise<void> {
  if (!module) return;
  for (const object of module.objects) {
    if (object.metadata.namespace || object.kind === "Namespace") continue;
    await module.client.request({ method: "DELETE", path: objectPath(object) }).catch(() => {});
  }
  await module.client.request({ method: "DELETE", path: `/api/v1/namespaces/${module.namespace}` }).catch(() => {});
  rmSync(module.work, { recursive: true, force: true });
}
