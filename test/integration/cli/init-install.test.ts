import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// issue 21, problems 6 and 10: capstan installed the way the README says, with no registry for
// capstan itself: a checkout built and packed, `init` from the tarball and from the checkout folder,
// then the module's own `npm install` (its other dependencies come from the registry, or npm's cache),
// lint, tests and `capstan build`. Also: `--version` is capstan's, and a stack trace through capstan
// names a file that exists.

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const capstanVersion = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;
const npmEnv = {
  ...process.env,
  npm_config_prefer_offline: "true",
  npm_config_fund: "false",
  npm_config_audit: "false",
  npm_config_update_notifier: "false",
  NO_COLOR: "1",
};

interface Run {
  readonly code: number | null;
  readonly out: string;
}

function run(command: string, args: readonly string[], cwd: string): Run {
  const result = spawnSync(command, args, { cwd, env: npmEnv, encoding: "utf8", timeout: 600_000 });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

function ok(command: string, args: readonly string[], cwd: string): string {
  const result = run(command, args, cwd);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${result.code}) in ${cwd}:\n${result.out}`);
  return result.out;
}

let work: string;
let checkout: string;
let tarball: string;

/**
 * A capstan checkout after `npm ci && npm run build`: the repository's package files, dist/ compiled
 * from this tree, and node_modules (the repository's, linked: `npm pack` and folder installs skip it).
 */
function buildCheckout(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const entry of ["package.json", "bin", "src", "compat", "scripts", "tsconfig.json", "tsconfig.build.json"]) {
    cpSync(join(repoRoot, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  try {
    execFileSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
      cwd: dir,
      stdio: "pipe",
    });
  } catch {
    // Type errors elsewhere in the tree still emit JavaScript; the module's checks below decide.
  }
  if (!existsSync(join(dir, "dist", "cli", "main.js")))
    throw new Error("the checkout's build wrote no dist/cli/main.js");
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "capstan-init-install-"));
  checkout = join(work, "capstan");
  buildCheckout(checkout);
  const packed = ok("npm", ["pack", "--silent"], checkout).trim().split("\n").pop();
  tarball = join(checkout, packed as string);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `capstan init` as the README shows it: the checkout's CLI, run in the checkout, the module beside it. */
function init(name: string, extra: readonly string[] = []): string {
  ok(
    process.execPath,
    [join(checkout, "bin/capstan.js"), "init", "--yes", "--name", name, "--dir", work, ...extra],
    checkout,
  );
  return join(work, name);
}

/** What every installed module must do: capstan's version, the template's own checks, a build. */
function checkModule(moduleDir: string): void {
  // `npx capstan` runs the installed package's dist/, and says capstan's version, not the module's.
  expect(ok("npx", ["capstan", "--version"], moduleDir).trim()).toBe(capstanVersion);
  const lint = run("npm", ["run", "lint"], moduleDir);
  expect(lint.out, lint.out).not.toMatch(/Found \d+ errors?/);
  expect(lint.code, lint.out).toBe(0);
  const typecheck = run("npm", ["run", "typecheck"], moduleDir);
  expect(typecheck.code, typecheck.out).toBe(0);
  const test = run("npm", ["test"], moduleDir);
  expect(test.code, test.out).toBe(0);
  expect(test.out).toMatch(/Tests\s+5 passed \(5\)/);
  expect(test.out).toContain("3 scenarios: 3 passed, 0 failed");
  const build = run("npx", ["capstan", "build"], moduleDir);
  expect(build.code, build.out).toBe(0);
  const uuid = (JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8")) as { capstan: { uuid: string } })
    .capstan.uuid;
  expect(existsSync(join(moduleDir, "dist", `capstan-module-${uuid}.yaml`))).toBe(true);
}

describe("capstan without a registry", { timeout: 900_000 }, () => {
  it("init from the packed tarball: installs, lints, tests and builds; traces name shipped files", () => {
    const file = tarball.split("/").pop() as string;
    expect(file).toBe(`capstan-${capstanVersion}.tgz`);
    const moduleDir = init("from-tarball", ["--capstan", `./${file}`]);
    const pkg = JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8"));
    expect(pkg.dependencies.capstan).toBe(`file:../capstan/${file}`);
    expect(existsSync(join(moduleDir, ".npmrc"))).toBe(false);
    expect(readFileSync(join(moduleDir, ".gitignore"), "utf8").split("\n")).toEqual(
      expect.arrayContaining(["node_modules/", "dist/", ".capstan/"]),
    );
    expect(lstatSync(join(moduleDir, "node_modules", "capstan")).isSymbolicLink()).toBe(false);
    checkModule(moduleDir);

    // An error thrown inside capstan, with source maps on as the runtime runs: its top frame names a
    // TypeScript file in the installed package that exists, and that line throws.
    const traced = run(
      process.execPath,
      [
        "--enable-source-maps",
        "--input-type=module",
        "-e",
        'import { durationMs } from "capstan/testing"; try { durationMs("soon"); } catch (error) { console.log(error.stack); }',
      ],
      moduleDir,
    );
    const frame = /\((?:file:\/\/)?(\/[^)]+?\/node_modules\/capstan\/[^)]+?\.ts):(\d+):\d+\)/.exec(traced.out);
    expect(frame, traced.out).not.toBeNull();
    const [, source, line] = frame as RegExpExecArray;
    expect(existsSync(source as string), `${source} is not in the package`).toBe(true);
    expect(readFileSync(source as string, "utf8").split("\n")[Number(line) - 1]).toContain("throw");
  });

  it("init from the checkout folder: a folder dependency npm copies with its dependencies", () => {
    const moduleDir = init("from-checkout");
    const pkg = JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8"));
    expect(pkg.dependencies.capstan).toBe("file:../capstan");
    expect(readFileSync(join(moduleDir, ".npmrc"), "utf8")).toContain("install-links=true");
    expect(lstatSync(join(moduleDir, "node_modules", "capstan")).isSymbolicLink()).toBe(false);
    checkModule(moduleDir);
  });

  it("a wrong --capstan path stops before anything is written", () => {
    const result = run(
      process.execPath,
      [
        join(checkout, "bin/capstan.js"),
        "init",
        "--yes",
        "--name",
        "wrong-path",
        "--dir",
        work,
        "--capstan",
        "./nope.tgz",
      ],
      checkout,
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain(`capstan: --capstan ./nope.tgz: ${join(checkout, "nope.tgz")} does not exist`);
    expect(existsSync(join(work, "wrong-path"))).toBe(false);
  });
});
