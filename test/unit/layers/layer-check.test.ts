import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

import { checkLayers } from "../../../scripts/lint-layers.ts";

// The layer check (`npm run lint:layers`, ADR 0005): on the real tree, and on small trees where one
// file breaks one rule.
const repo = fileURLToPath(new URL("../../..", import.meta.url));
const trees: string[] = [];

async function check(root: string): Promise<{ code: number; output: string }> {
  const { exitCode, report } = await checkLayers(root);
  return { code: exitCode, output: report };
}

/** The exit code and output of `node scripts/lint-layers.ts <root>`, as `npm run lint` runs it. */
function cli(root: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const runner = join(repo, "scripts", "lint-layers.ts");
    execFile(process.execPath, [runner, root], { cwd: repo, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** A tree that keeps the layer table: time ← k8s ← admission, each through its index.ts. */
const clean: Record<string, string> = {
  "src/index.ts": 'export { handle } from "./admission/index.ts";\n',
  "src/time/index.ts": 'export { now } from "./clock.ts";\n',
  "src/time/clock.ts": "export const now = (): number => Date.now();\n",
  "src/k8s/index.ts": 'export { get } from "./client.ts";\n',
  "src/k8s/client.ts": 'import { now } from "../time/index.ts";\nexport const get = (): number => now();\n',
  "src/admission/index.ts": 'export { handle } from "./server.ts";\n',
  "src/admission/server.ts":
    'import { get } from "../k8s/index.ts";\nimport type { Review } from "./review.ts";\nexport const handle = (r: Review): number => get() + r.n;\n',
  "src/admission/review.ts": "export interface Review { n: number }\n",
  "src/runtime/main.ts": 'import { handle } from "../admission/index.ts";\nhandle({ n: Number(process.env.N) });\n',
};

function tree(changes: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "capstan-layers-"));
  trees.push(root);
  for (const [path, text] of Object.entries({ ...clean, ...changes })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

afterAll(() => {
  for (const root of trees) rmSync(root, { recursive: true, force: true });
});

describe("the layer check", { timeout: 60_000 }, () => {
  it("exits 1 from the command line (npm run lint) on a violation", async () => {
    const broken = await cli(
      tree({ "src/k8s/client.ts": 'import "../admission/index.ts";\nexport const get = (): number => 1;\n' }),
    );
    expect(broken.output).toMatch(/not-in-allowed: src\/k8s\/client\.ts → src\/admission\/index\.ts/);
    expect(broken.code).toBe(1);
  });

  it("passes on the repository's src/", async () => {
    const { code, output } = await check(repo);
    expect(output).toMatch(/no dependency violations found/);
    expect(output).not.toMatch(/error/);
    expect(code).toBe(0);
  });

  it("passes on a small tree that keeps the table", async () => {
    const { code, output } = await check(tree({}));
    expect(output).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  });

  it("fails on an upward import (k8s importing admission)", async () => {
    const { code, output } = await check(
      tree({
        "src/k8s/client.ts":
          'import { handle } from "../admission/index.ts";\nexport const get = (): number => 1;\nhandle;\n',
      }),
    );
    expect(output).toMatch(/not-in-allowed: src\/k8s\/client\.ts → src\/admission\/index\.ts/);
    expect(code).toBe(1);
  });

  it("fails on an upward import that is type-only", async () => {
    const { code, output } = await check(
      tree({
        "src/time/clock.ts":
          'import type { Review } from "../admission/review.ts";\nexport const now = (r?: Review): number => r?.n ?? 0;\n',
      }),
    );
    expect(output).toMatch(/not-in-allowed: src\/time\/clock\.ts → src\/admission\/review\.ts/);
    expect(code).toBe(1);
  });

  it("fails on a cycle between files", async () => {
    const { code, output } = await check(
      tree({
        "src/time/clock.ts": 'import { tick } from "./tick.ts";\nexport const now = (): number => tick();\n',
        "src/time/tick.ts": 'import { now } from "./clock.ts";\nexport const tick = (): number => now();\n',
      }),
    );
    expect(output).toMatch(/no-circular: src\/time\/(clock|tick)\.ts/);
    expect(code).toBe(1);
  });

  it("fails on a cycle between folders", async () => {
    const { code, output } = await check(
      tree({
        "src/time/clock.ts": 'import { get } from "../k8s/index.ts";\nexport const now = (): number => get();\n',
      }),
    );
    expect(output).toMatch(/no-folder-cycle: src\/(time → src\/k8s|k8s → src\/time)/);
    expect(code).toBe(1);
  });

  it("fails on a file outside the folders of the table", async () => {
    const { code, output } = await check(tree({ "src/misc/helper.ts": "export const n = 1;\n" }));
    expect(output).toMatch(/unknown-folder-orphan: src\/misc\/helper\.ts/);
    expect(code).toBe(1);
  });

  it("fails on a deep import into another folder", async () => {
    const { code, output } = await check(
      tree({
        "src/admission/server.ts":
          'import { get } from "../k8s/client.ts";\nexport const handle = (): number => get();\n',
      }),
    );
    expect(output).toMatch(/through-index: src\/admission\/server\.ts → src\/k8s\/client\.ts/);
    expect(code).toBe(1);
  });

  it("fails when a file imports its own folder's index.ts", async () => {
    const { code, output } = await check(
      tree({
        "src/admission/review.ts":
          'import type { handle } from "./index.ts";\nexport interface Review { n: number; h?: typeof handle }\n',
      }),
    );
    expect(output).toMatch(/not-own-index: src\/admission\/review\.ts → src\/admission\/index\.ts/);
    expect(code).toBe(1);
  });

  it("fails when src/ imports test/", async () => {
    const { code, output } = await check(
      tree({
        "test/helper.ts": "export const n = 1;\n",
        "src/time/clock.ts": 'import { n } from "../../test/helper.ts";\nexport const now = (): number => n;\n',
      }),
    );
    expect(output).toMatch(/src-not-tests: src\/time\/clock\.ts → test\/helper\.ts/);
    expect(code).toBe(1);
  });

  it("fails when a deployed process's entry reaches the bundler", async () => {
    const bundler = {
      "node_modules/esbuild/package.json": '{ "name": "esbuild", "main": "index.js" }\n',
      "node_modules/esbuild/index.js": "export const build = () => 0;\n",
      "src/build/index.ts": 'export { bundle } from "./bundle.ts";\n',
      "src/build/bundle.ts": 'import { build } from "esbuild";\nexport const bundle = (): number => build();\n',
    };
    const devOnly = await check(
      tree({ ...bundler, "src/runtime/dev-session.ts": 'import { bundle } from "../build/bundle.ts";\nbundle();\n' }),
    );
    expect(devOnly.output).toMatch(/no dependency violations found/);
    expect(devOnly.code).toBe(0);
    const { code, output } = await check(
      tree({
        ...bundler,
        "src/runtime/dev-role.ts":
          'import { bundle } from "../build/bundle.ts";\nexport const role = (): number => bundle();\n',
        "src/runtime/main.ts": 'import { role } from "./dev-role.ts";\nrole();\n',
      }),
    );
    expect(output).toMatch(/runtime-start-light: src\/runtime\/main\.ts/);
    expect(code).toBe(1);
  });

  it("fails on an env read outside runtime, cli and testing", async () => {
    const { code, output } = await check(
      tree({ "src/k8s/client.ts": "export const get = (): number => Number(process.env.LIMIT);\n" }),
    );
    expect(output).toMatch(/env-read: src\/k8s\/client\.ts:1/);
    expect(code).toBe(1);
  });
});
