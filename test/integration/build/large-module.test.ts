import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { literalEnv, projectedChunkFiles } from "../../../src/build/pod-spec.ts";
import { assembleModule, MAX_CHUNK_BYTES } from "../../../src/contract/module-chunks.ts";
import { RuntimeEnv } from "../../../src/contract/runtime-contract.ts";
import { removeScratchModule, type ScratchModule, scratchModule } from "./module-fixture.ts";

const DEPENDENCY_BYTES = 5 * 1024 * 1024;

/** A dependency of 5 MB that does not compress well (random base64), used at load time so it is bundled. */
function addLargeDependency(moduleDir: string): void {
  const dependency = join(moduleDir, "node_modules", "big-dependency");
  mkdirSync(dependency, { recursive: true });
  writeFileSync(
    join(dependency, "package.json"),
    JSON.stringify({ name: "big-dependency", version: "1.0.0", main: "index.js" }),
  );
  const blob = randomBytes((DEPENDENCY_BYTES * 3) / 4).toString("base64");
  writeFileSync(join(dependency, "index.js"), `exports.blob = ${JSON.stringify(blob)};\n`);
  appendFileSync(
    join(moduleDir, "capstan.ts"),
    '\n// @ts-ignore: an untyped test dependency\nimport { blob } from "big-dependency";\nif (blob.length === 0) throw new Error("empty");\n',
  );
}

describe("a module bundling 5 MB of dependencies", () => {
  let module: ScratchModule;
  let objects: KubeObject[];
  let work: string;
  let moduleDir: string;

  beforeAll(async () => {
    module = await scratchModule("large", { buildArgs: ["--no-typecheck"], beforeBuild: addLargeDependency });
    ({ objects, work, moduleDir } = module);
  }, 600_000);

  afterAll(() => removeScratchModule(module));

  it("ships the code in several Secrets, each under 1 MiB, that reassemble to the bundle with its hash", async () => {
    const bundle = readFileSync(join(moduleDir, "dist", "module.mjs"));
    expect(bundle.length).toBeGreaterThan(DEPENDENCY_BYTES);
    expect(objects.filter((object) => object.kind === "Secret").length).toBeGreaterThan(4);
    const deployment = objects.find((object) => object.kind === "Deployment") as KubeObject;
    const chunkDir = join(work, "mounted");
    mkdirSync(chunkDir);
    for (const [key, data] of projectedChunkFiles(deployment, objects)) {
      expect(data.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
      writeFileSync(join(chunkDir, key), data);
    }
    const env = literalEnv(deployment);
    const assembled = await assembleModule(
      chunkDir,
      join(work, "runtime"),
      env[RuntimeEnv.moduleSha256] as string,
      env[RuntimeEnv.moduleMapSha256],
    );
    expect(readFileSync(assembled.entry).equals(bundle)).toBe(true);
    expect(readFileSync(`${assembled.entry}.map`).equals(readFileSync(join(moduleDir, "dist", "module.mjs.map")))).toBe(
      true,
    );
  });

  it("every object passes a server-side dry-run apply", async () => {
    let applied = 0;
    await applyAll(module.client, objects, { dryRun: true, onApplied: () => applied++ });
    expect(applied).toBe(objects.length);
  });

  it("build reports nothing on stdout", () => {
    expect(module.buildOutput).toBe("");
  });
});
