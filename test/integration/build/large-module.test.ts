import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyAll, parseManifests } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { assembleModule, MAX_CHUNK_BYTES } from "../../../src/build/module-chunks.ts";
import { RuntimeEnv } from "../../../src/build/runtime-contract.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import {
  capstanFromCheckout,
  capstanInstalled,
  editPackageJson,
  installCapstan,
  packCapstan,
} from "./module-fixture.ts";

const DEPENDENCY_BYTES = 5 * 1024 * 1024;

describe("a module bundling 5 MB of dependencies", () => {
  let work: string;
  let moduleDir: string;
  let client: ApiClient;
  let namespace: string;
  let objects: KubeObject[];
  let buildLog: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "capstan-large-"));
    client = await adminClient();
    namespace = await freshNamespace(client, "build-large");
    const uuid = `large-${namespace.slice(-8)}`;
    capstanFromCheckout(["init", "--yes", "--skip-install", "--name", "large-module", "--uuid", uuid], work);
    moduleDir = join(work, "large-module");
    installCapstan(moduleDir, packCapstan(work));
    editPackageJson(moduleDir, (pkg) => {
      (pkg.capstan as Record<string, unknown>).namespace = namespace;
    });
    // A dependency of 5 MB that does not compress well (random base64), used at load time so it is bundled.
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
    buildLog = capstanInstalled(moduleDir, ["build", "--no-typecheck"]);
    const manifest = readFileSync(join(moduleDir, "dist", `capstan-module-${uuid}.yaml`), "utf8");
    objects = parseManifests(manifest);
  }, 600_000);

  afterAll(async () => {
    await client?.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships the code in several Secrets, each under 1 MiB, that reassemble to the bundle with its hash", async () => {
    const bundle = readFileSync(join(moduleDir, "dist", "module.mjs"));
    expect(bundle.length).toBeGreaterThan(DEPENDENCY_BYTES);
    const secrets = objects.filter((object) => object.kind === "Secret") as unknown as {
      data: Record<string, string>;
    }[];
    expect(secrets.length).toBeGreaterThan(4);
    const chunkDir = join(work, "mounted");
    mkdirSync(chunkDir);
    for (const secret of secrets) {
      for (const [key, value] of Object.entries(secret.data)) {
        const data = Buffer.from(value, "base64");
        expect(data.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
        writeFileSync(join(chunkDir, key), data);
      }
    }
    const deployment = objects.find((object) => object.kind === "Deployment") as unknown as {
      spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    };
    const env = new Map(deployment.spec.template.spec.containers[0]?.env.map((entry) => [entry.name, entry.value]));
    const assembled = await assembleModule(
      chunkDir,
      join(work, "runtime"),
      env.get(RuntimeEnv.moduleSha256) as string,
      env.get(RuntimeEnv.moduleMapSha256),
    );
    expect(readFileSync(assembled.entry).equals(bundle)).toBe(true);
    expect(readFileSync(`${assembled.entry}.map`).equals(readFileSync(join(moduleDir, "dist", "module.mjs.map")))).toBe(
      true,
    );
  });

  it("every object passes a server-side dry-run apply", async () => {
    let applied = 0;
    await applyAll(client, objects, { dryRun: true, onApplied: () => applied++ });
    expect(applied).toBe(objects.length);
  });

  it("build reports nothing on stdout", () => {
    expect(buildLog).toBe("");
  });
});
