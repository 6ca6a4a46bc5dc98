import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const fixtureModule = fileURLToPath(new URL("./fixtures/scenario-module/", import.meta.url));

/**
 * A module in a temp folder whose `node_modules/capstan` is this checkout's sources (linked), so
 * the module's `import "capstan"` and the kit are one instance, as they are for an author who
 * installed capstan; vitest is linked too. Without `files` it is a copy of the fixture module.
 */
export function scratchModule(files?: Readonly<Record<string, string>>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "capstan-test-kit-")), "module");
  if (files) {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  } else {
    cpSync(fixtureModule, dir, { recursive: true });
  }
  const capstan = join(dir, "node_modules", "capstan");
  mkdirSync(capstan, { recursive: true });
  symlinkSync(join(repoRoot, "src"), join(capstan, "src"));
  symlinkSync(join(repoRoot, "node_modules", "vitest"), join(dir, "node_modules", "vitest"));
  writeFileSync(
    join(capstan, "package.json"),
    JSON.stringify({
      name: "capstan",
      type: "module",
      exports: { ".": "./src/index.ts", "./testing": "./src/testing/index.ts" },
    }),
  );
  return dir;
}

/** The blocks of docs/testing.md that follow a `<!-- file: path -->` line, by path. */
export function documentedFiles(): Record<string, string> {
  const text = readFileSync(join(repoRoot, "docs", "testing.md"), "utf8");
  const files: Record<string, string> = {};
  for (const match of text.matchAll(/<!-- file: (\S+) -->\n```\w+\n([\s\S]*?)\n```/g)) {
    files[match[1] as string] = `${match[2]}\n`;
  }
  return files;
}

/** A module made of the documentation's files, with the package.json `capstan init` would write. */
export function documentedModule(): string {
  return scratchModule({
    "package.json": JSON.stringify({
      name: "hello-module",
      private: true,
      type: "module",
      capstan: { uuid: "hello-module", onError: "reject" },
    }),
    ...documentedFiles(),
  });
}

export interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `node <args>` in `cwd` with Node 24 (the one running the tests). */
export function runNode(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const run = spawnSync(process.execPath, args, {
    cwd,
    encoding: "utf8",
    timeout: 240_000,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/** `capstan test <args>` from this checkout, in `cwd`. */
export function capstanTest(cwd: string, ...args: string[]): Run {
  return runNode(cwd, [join(repoRoot, "bin/capstan.js"), "test", ...args]);
}

/** `vitest run <files>` in `cwd` (the module's own test run). */
export function vitestRun(cwd: string, files: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  return runNode(cwd, [join(repoRoot, "node_modules/vitest/vitest.mjs"), "run", ...files], env);
}
