import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { Command, Option } from "commander";
import { type OnError, onErrorValues } from "../../model/module-config.ts";
import { type InitAnswers, moduleFiles } from "../templates/module-files.ts";

interface InitOptions {
  name?: string;
  description?: string;
  onError?: string;
  uuid?: string;
  yes?: boolean;
  install: boolean;
  dir?: string;
  /** The dependency spec for capstan, e.g. `file:../capstan-0.1.0.tgz` (default: ^<this version>). */
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

function capstanVersionRange(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `^${pkg.version}`;
}

async function ask(options: InitOptions): Promise<Omit<InitAnswers, "capstanVersion">> {
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
  for (const file of moduleFiles({ ...answers, uuid, capstanVersion: options.capstan ?? capstanVersionRange() })) {
    const target = join(dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
  process.stderr.write(`capstan: created ${dir}\n`);
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
    .option("--capstan <spec>", "capstan dependency spec, e.g. file:../capstan-0.1.0.tgz (default: ^<this version>)")
    .action(async (opts: Omit<InitOptions, "install"> & { skipInstall?: boolean }) => {
      await initModule({ ...opts, install: !opts.skipInstall });
    });
}
