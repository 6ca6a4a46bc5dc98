import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { capstanSource } from "../../../src/cli/commands/init.ts";
import { moduleFiles } from "../../../src/cli/templates/module-files.ts";

// issue 21, problems 6 and 10: where `capstan init` takes capstan from when no registry has it, and
// a template that passes its own checks.

const work = mkdtempSync(join(tmpdir(), "capstan-init-source-"));
const moduleDir = join(work, "modules", "my-module");

function folder(name: string, pkg: object, built: boolean): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "dist"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  if (built) writeFileSync(join(dir, "dist", "index.js"), "");
  return dir;
}

describe("capstanSource", () => {
  it("keeps a registry spec as it is", () => {
    expect(capstanSource("^0.1.0", moduleDir, work)).toEqual({ spec: "^0.1.0", folder: false });
    expect(capstanSource("npm:capstan@0.1.0", moduleDir, work)).toEqual({ spec: "npm:capstan@0.1.0", folder: false });
  });

  it("writes a tarball as a file: path relative to the module", () => {
    writeFileSync(join(work, "capstan-0.1.0.tgz"), "");
    const expected = { spec: "file:../../capstan-0.1.0.tgz", folder: false };
    expect(capstanSource("./capstan-0.1.0.tgz", moduleDir, work)).toEqual(expected);
    expect(capstanSource("capstan-0.1.0.tgz", moduleDir, work)).toEqual(expected);
    expect(capstanSource(`file:${join(work, "capstan-0.1.0.tgz")}`, moduleDir, "/")).toEqual(expected);
  });

  it("takes a built capstan checkout as a folder dependency, and says when it is not built", () => {
    folder("capstan", { name: "capstan" }, true);
    expect(capstanSource("./capstan", moduleDir, work)).toEqual({ spec: "file:../../capstan", folder: true });
    folder("unbuilt", { name: "capstan" }, false);
    expect(capstanSource("./unbuilt", moduleDir, work)).toEqual({
      spec: "file:../../unbuilt",
      folder: true,
      missing: `${join(work, "unbuilt")} has no compiled dist/: run \`npm ci && npm run build\` there`,
    });
  });

  it("refuses a path that is missing or is not capstan", () => {
    expect(() => capstanSource("./nope.tgz", moduleDir, work)).toThrow(
      `--capstan ./nope.tgz: ${join(work, "nope.tgz")} does not exist; give a tarball from \`npm pack\` or a capstan checkout`,
    );
    folder("other", { name: "other" }, true);
    expect(() => capstanSource("../other", moduleDir, join(work, "capstan"))).toThrow(
      /other is not a capstan checkout \(its package\.json does not name capstan\)$/,
    );
  });

  it("runs from this checkout: the default is the checkout folder", () => {
    expect(capstanSource(undefined, moduleDir, work)).toMatchObject({
      folder: true,
      spec: expect.stringMatching(/^file:/),
    });
  });
});

describe("the template for a folder dependency", () => {
  const answers = {
    name: "m",
    description: "",
    onError: "reject",
    uuid: "m",
    capstanVersion: "file:../capstan",
  } as const;
  it("adds an .npmrc with install-links, and only then", () => {
    const withFolder = moduleFiles({ ...answers, capstanFromFolder: true });
    expect(withFolder.find((file) => file.path === ".npmrc")?.content).toContain("install-links=true\n");
    expect(moduleFiles(answers).some((file) => file.path === ".npmrc")).toBe(false);
  });

  it("ignores what dev and builds write", () => {
    const gitignore = moduleFiles(answers).find((file) => file.path === ".gitignore")?.content ?? "";
    expect(gitignore.split("\n")).toEqual(expect.arrayContaining(["node_modules/", "dist/", ".capstan/"]));
  });
});

describe("the template's own lint", () => {
  it("passes `biome check .` as `npm run lint` runs it in the new module", () => {
    const dir = join(work, "linted");
    for (const file of moduleFiles({
      name: "linted",
      description: "",
      onError: "reject",
      uuid: "linted",
      capstanVersion: "^0.1.0",
    })) {
      mkdirSync(dirname(join(dir, file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.content);
    }
    const biome = fileURLToPath(new URL("../../../node_modules/@biomejs/biome/bin/biome", import.meta.url));
    const run = spawnSync(process.execPath, [biome, "check", "--colors=off", "."], { cwd: dir, encoding: "utf8" });
    expect(`${run.stdout}${run.stderr}`).toMatch(/Checked \d+ files/);
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
  });
});
