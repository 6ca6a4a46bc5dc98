import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// A Pepr team's project tree with capstan in it the documented way (docs/migrating-from-pepr.md,
// "Install route"): capstan compiled and packed, then `npm install` of a package whose only
// dependency is `"pepr": "file:<tarball>"`. The compat modules are copied under it (without their
// e2e.ts), so `pepr`, its deep paths, `kubernetes-fluent-client` and `fast-json-patch` resolve as
// they do in a user's module.

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const modulesRoot = join(repoRoot, "test/compat/modules");
const node = process.execPath;

/** The module folders of the suite, sorted. */
export function compatModules(): string[] {
  return readdirSync(modulesRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** npm and tools run on the Node the tests run on. */
export function envFor(cwd: string): NodeJS.ProcessEnv {
  const path = [join(cwd, "node_modules/.bin"), join(node, ".."), process.env.PATH ?? ""].join(":");
  return { ...process.env, PATH: path, npm_config_update_notifier: "false", npm_config_fund: "false" };
}

function run(command: string, args: readonly string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: "pipe", env: envFor(cwd) });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd}:\n${failed.stdout ?? ""}\n${failed.stderr ?? failed.message}`,
    );
  }
}

function packCapstan(work: string): string {
  const packageDir = join(work, "capstan-package");
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
      { cwd: repoRoot, stdio: "pipe" },
    );
  } catch {
    // Type errors elsewhere in the checkout still emit JavaScript; the modules' tests decide.
  }
  for (const path of ["package.json", "README.md", "bin", "compat"])
    cpSync(join(repoRoot, path), join(packageDir, path), { recursive: true });
  run("npm", ["pack", packageDir, "--pack-destination", work, "--silent"], work);
  const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${work}`);
  return join(work, tarball);
}

const repoVersion = (name: string): string =>
  JSON.parse(readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8")).version;

/** Pepr's module template tsconfig.json (CommonJS output, moduleResolution node, strict off). */
export const peprTemplateTsconfig = {
  compilerOptions: {
    allowSyntheticDefaultImports: true,
    declaration: true,
    declarationMap: true,
    emitDeclarationOnly: true,
    esModuleInterop: true,
    lib: ["ES2022"],
    module: "CommonJS",
    moduleResolution: "node",
    outDir: "dist",
    resolveJsonModule: true,
    rootDir: ".",
    strict: false,
    target: "ES2022",
    useUnknownInCatchVariables: false,
  },
  include: ["**/*.ts"],
  exclude: ["node_modules", "dist"],
};

export interface PeprTree {
  /** The project root holding node_modules (pepr = capstan, kubernetes-fluent-client, fast-json-patch, typescript). */
  readonly root: string;
  /** `<root>/modules/<name>`: the module's folder as copied (package.json, pepr.ts, capabilities/, Pepr's tsconfig.json). */
  moduleDir(name: string): string;
  remove(): void;
}

/**
 * Packs capstan, installs it as `pepr` into a temp project and copies every compat module under it.
 * While writing modules, CAPSTAN_COMPAT_TREE=<folder> keeps the project there and reuses it on the
 * next run (only the modules are copied again; delete the folder after changing capstan itself).
 */
export function preparePeprTree(prefix: string): PeprTree {
  const kept = process.env.CAPSTAN_COMPAT_TREE;
  const work = kept ?? mkdtempSync(join(tmpdir(), `capstan-compat-${prefix}-`));
  const root = join(work, "project");
  if (!kept || !existsSync(join(root, "node_modules/pepr"))) installTree(work, root);
  rmSync(join(root, "modules"), { recursive: true, force: true });
  for (const name of compatModules()) {
    const target = join(root, "modules", name);
    cpSync(join(modulesRoot, name), target, {
      recursive: true,
      filter: (source) =>
        !source.endsWith("/e2e.ts") && !source.includes("/node_modules") && !source.includes("/.capstan"),
    });
    writeFileSync(join(target, "tsconfig.json"), JSON.stringify(peprTemplateTsconfig, null, 2));
  }
  return {
    root,
    moduleDir: (name) => join(root, "modules", name),
    remove: () => {
      if (!kept) rmSync(work, { recursive: true, force: true });
    },
  };
}

function installTree(work: string, root: string): void {
  mkdirSync(work, { recursive: true });
  const tarball = packCapstan(work);
  mkdirSync(root, { recursive: true });
  const pkg = {
    name: "compat-modules",
    version: "0.0.1",
    private: true,
    dependencies: { pepr: `file:${tarball}` },
    // As Pepr's module template has them (the versions capstan's checkout uses, so npm finds them cached).
    devDependencies: { typescript: repoVersion("typescript-api"), "@types/node": repoVersion("@types/node") },
  };
  writeFileSync(join(root, "package.json"), JSON.stringify(pkg, null, 2));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], root);
}
