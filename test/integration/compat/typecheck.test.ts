import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compatModules,
  type PeprTree,
  peprTemplateTsconfig,
  preparePeprTree,
  repoRoot,
} from "../../compat/harness/tree.ts";

// Every compat module type-checks in a project where capstan is installed as `pepr`
// (test/compat/harness/tree.ts), with Pepr's template options and each moduleResolution a Pepr team
// may use: node (CommonJS, the template's), node16 and bundler. One tsc per mode checks every module
// folder (three at once; a tsc per module and mode took 13 s a module); each module's `it` reads the
// errors in its own folder. Libraries' .d.ts files are not checked (skipLibCheck;
// install-route.test.ts checks capstan's without it). `capstan dev` in suite.test.ts also checks each
// module alone in its folder with the template's tsconfig.json.

const modes = [
  { moduleResolution: "node", module: "commonjs" },
  { moduleResolution: "node16", module: "node16" },
  { moduleResolution: "bundler", module: "es2022" },
] as const;
type Mode = (typeof modes)[number]["moduleResolution"];

const modules = compatModules();
let tree: PeprTree;
let output: Record<Mode, { code: number | null; lines: string[] }>;

function tsc(config: string): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(tree.root, "node_modules/typescript/bin/tsc"), "-p", config], {
      cwd: tree.root,
    });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.on("close", (code) => resolve({ code, lines: text.split("\n").filter((line) => line.trim()) }));
  });
}

beforeAll(async () => {
  tree = preparePeprTree("typecheck");
  const { declaration, declarationMap, emitDeclarationOnly, outDir, rootDir, ...options } =
    peprTemplateTsconfig.compilerOptions;
  void [declaration, declarationMap, emitDeclarationOnly, outDir, rootDir];
  const started = Date.now();
  const results = await Promise.all(
    modes.map(({ moduleResolution, module }) => {
      const config = `tsconfig.${moduleResolution}.json`;
      writeFileSync(
        join(tree.root, config),
        JSON.stringify({
          compilerOptions: { ...options, module, moduleResolution, noEmit: true, skipLibCheck: true },
          include: ["modules/*/**/*.ts"],
          exclude: ["node_modules", "modules/*/node_modules"],
        }),
      );
      return tsc(config);
    }),
  );
  console.log(`[compat] type-check of ${modules.length} modules, 3 modes at once: ${(Date.now() - started) / 1000} s`);
  output = Object.fromEntries(modes.map(({ moduleResolution }, i) => [moduleResolution, results[i]])) as typeof output;
}, 600_000);
afterAll(() => tree?.remove());

describe("compat modules type-check with capstan installed as pepr", () => {
  it("every error is in a module's folder", () => {
    for (const { moduleResolution } of modes) {
      const { code, lines } = output[moduleResolution];
      const elsewhere = lines.filter((line) => /error TS/.test(line) && !line.startsWith("modules/"));
      expect({ moduleResolution, elsewhere }).toEqual({ moduleResolution, elsewhere: [] });
      if (lines.length === 0) expect(code).toBe(0);
    }
  });

  it("the e2e tests and the harness type-check (test/compat/tsconfig.json, in the checkout)", async () => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "test/compat/tsconfig.json"],
        { cwd: repoRoot },
      );
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.on("close", (code) => resolve({ code, output: text.trim() }));
    });
    expect(result).toEqual({ code: 0, output: "" });
  });

  for (const name of modules) {
    it(name, () => {
      const errors = modes.map(({ moduleResolution }) => ({
        moduleResolution,
        errors: output[moduleResolution].lines.filter((line) => line.startsWith(`modules/${name}/`)),
      }));
      expect(errors).toEqual(modes.map(({ moduleResolution }) => ({ moduleResolution, errors: [] })));
    });
  }
});
