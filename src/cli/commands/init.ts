import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { type OnError, onErrorValues } from "../../model/index.ts";
import { type InitAnswers, moduleFiles } from "../templates/module-files.ts";

interface InitOptions {
  name?: string;
  description?: string;
  onError?: string;
  uuid?: string;
  yes?: boolean;
  install: boolean;
  dir?: string;
  /** Where capstan comes from: a tarball, a checkout folder or a registry spec (see `capstanSource`). */
  capstan?: string;
}

const uuidPattern = /^[a-z0-9]([-a-z0-9]{0,34}[a-z0-9])?$/;

/** Checks a module name: at least 3 characters, usable as a folder and npm package name. */
export function nameError(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{2,213}$/.test(name)) {
    return `Module name "${name}" must be at least 3 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit`;
  }
  return "";
}

export function uuidError(uuid: string): string {
  return uuidPattern.test(uuid)
    ? ""
    : `uuid "${uuid}" must be at most 36 lower-case letters, digits and "-", starting and ending with a letter or digit`;
}

/** The root of the capstan package that runs this command (a checkout, or an installed package). */
const capstanRoot = fileURLToPath(new URL("../../../", import.meta.url));

function readPackage(dir: string): { name?: string; version?: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
}

/** Where a new module's `capstan` dependency comes from. */
export interface CapstanSource {
  /** The package.json dependency spec. */
  readonly spec: string;
  /** A folder: npm must copy it (`install-links`), since a linked folder brings none of its dependencies. */
  readonly folder: boolean;
  /** What must happen before `npm install` can install it (a folder without its compiled dist/). */
  readonly missing?: string;
}

/** The absolute path a spec names (`file:x`, `./x`, `/x`, `~/x`, `x.tgz`), or undefined for a registry spec. */
function localPath(spec: string, cwd: string): string | undefined {
  const path = spec.startsWith("file:") ? spec.slice("file:".length) : spec;
  if (spec.startsWith("file:") || /^(\.{1,2}(\/|$)|\/|~\/)/.test(spec) || /\.(tgz|tar\.gz)$/.test(spec)) {
    return path.startsWith("~/") ? join(homedir(), path.slice(2)) : resolve(cwd, path);
  }
  return undefined;
}

/**
 * What `--capstan` names when it is left out: this checkout when init runs from one; the local
 * tarball or folder the running capstan was installed from (`npx --package ./capstan-0.1.0.tgz
 * capstan init`); else undefined (the registry version).
 */
function defaultCapstanPath(): string | undefined {
  if (!capstanRoot.split(sep).includes("node_modules")) return capstanRoot;
  const installer = resolve(capstanRoot, "..", "..");
  try {
    const dependencies = readPackage(installer).dependencies ?? {};
    const spec = dependencies.capstan ?? dependencies.pepr;
    if (spec?.startsWith("file:")) return resolve(installer, spec.slice("file:".length));
  } catch {
    // no package.json above node_modules: nothing to follow
  }
  return undefined;
}

/**
 * The dependency spec for a module created in `moduleDir`: a registry spec as given; a tarball or a
 * capstan folder as a `file:` path relative to the module, checked first so a wrong path fails now
 * rather than in `npm install`.
 */
export function capstanSource(requested: string | undefined, moduleDir: string, cwd = process.cwd()): CapstanSource {
  const path = requested === undefined ? defaultCapstanPath() : localPath(requested, cwd);
  if (path === undefined) return { spec: requested ?? `^${readPackage(capstanRoot).version}`, folder: false };
  const named = requested === undefined ? "capstan's own folder" : `--capstan ${requested}`;
  if (!existsSync(path)) {
    throw new Error(`${named}: ${path} does not exist; give a tarball from \`npm pack\` or a capstan checkout`);
  }
  const spec = `file:${relative(moduleDir, path).split(sep).join("/")}`;
  if (!statSync(path).isDirectory()) return { spec, folder: false };
  let name: string | undefined;
  try {
    name = readPackage(path).name;
  } catch {
    name = undefined;
  }
  if (name !== "capstan")
    throw new Error(`${named}: ${path} is not a capstan checkout (its package.json does not name capstan)`);
  if (!existsSync(join(path, "dist", "index.js"))) {
    return { spec, folder: true, missing: `${path} has no compiled dist/: run \`npm ci && npm run build\` there` };
  }
  return { spec, folder: true };
}

async function ask(options: InitOptions): Promise<Omit<InitAnswers, "capstanVersion" | "capstanFromFolder">> {
  const defaults = {
    name: options.name,
    description: options.description ?? "",
    onError: options.onError ?? "reject",
    uuid: options.uuid ?? randomUUID(),
  };
  if (options.yes || !process.stdin.isTTY) {
    if (!defaults.name) throw new Error("--name is required with --yes (or without a terminal to ask on)");
    return { ...defaults, name: defaults.name, onError: defaults.onError as OnError };
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const name = defaults.name ?? (await prompt.question("Module name: ")).trim();
    const description = options.description ?? (await prompt.question("Description: ")).trim();
    const onError =
      options.onError ?? ((await prompt.question("On error (audit | ignore | reject) [reject]: ")).trim() || "reject");
    const uuid = options.uuid ?? ((await prompt.question(`uuid [${defaults.uuid}]: `)).trim() || defaults.uuid);
    return { name, description, onError: onError as OnError, uuid };
  } finally {
    prompt.close();
  }
}

/** `capstan init`: scaffolds a module folder, then installs its dependencies. */
export async function initModule(options: InitOptions): Promise<string> {
  const answers = await ask(options);
  const uuid = answers.uuid.toLowerCase();
  const problems = [
    nameError(answers.name),
    uuidError(uuid),
    onErrorValues.includes(answers.onError) ? "" : `--on-error must be one of ${onErrorValues.join(", ")}`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const dir = resolve(options.dir ?? ".", answers.name);
  if (existsSync(dir)) throw new Error(`${dir} already exists: pick another --name or remove it`);
  const source = capstanSource(options.capstan, dir);
  if (source.missing && options.install) throw new Error(`${source.missing}, then init again`);
  for (const file of moduleFiles({ ...answers, uuid, capstanVersion: source.spec, capstanFromFolder: source.folder })) {
    const target = join(dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
  process.stderr.write(`capstan: created ${dir} (capstan: ${source.spec})\n`);
  if (source.missing) process.stderr.write(`capstan: before npm install: ${source.missing}\n`);
  if (options.install) {
    process.stderr.write("capstan: installing dependencies (npm install)\n");
    const result = spawnSync("npm", ["install", "--no-fund", "--no-audit"], { cwd: dir, stdio: "inherit" });
    if (result.status !== 0) throw new Error(`npm install failed in ${dir}: fix the error above, then run it again`);
  }
  process.stderr.write(`capstan: next: cd ${answers.name} && npm test && npx capstan build\n`);
  return dir;
}

export function initCommand(): Command {
  return new Command("init")
    .description(
      "scaffold a new module: package.json, capstan.ts, a sample capability with tests, tsconfig, biome, README",
    )
    .option("-n, --name <name>", "module (folder and package) name")
    .option("-d, --description <text>", "what the module does")
    .addOption(
      new Option("-e, --on-error <behaviour>", "what a failing callback does to the request").choices([
        ...onErrorValues,
      ]),
    )
    .option("-u, --uuid <uuid>", "module uuid (default: a random one); names every deployed object")
    .option("-y, --yes", "do not prompt: take the flags and defaults")
    .option("--skip-install", "do not run npm install")
    .option("--dir <path>", "parent folder (default: the current folder)")
    .option(
      "--capstan <spec>",
      "where capstan comes from: a tarball of `npm pack`, a capstan checkout folder, or a registry spec (default: the checkout or tarball this capstan runs from, else ^<this version>)",
    )
    .action(async (opts: Omit<InitOptions, "install"> & { skipInstall?: boolean }) => {
      await initModule({ ...opts, install: !opts.skipInstall });
    });
}
