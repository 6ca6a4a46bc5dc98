import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildScript } from "../../../src/testing/control-plane/binaries.ts";

function run(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile("/bin/bash", [buildScript], { env }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
}

describe("build-control-plane.sh", () => {
  it("says Go is needed when it must build and Go is missing", async () => {
    const cache = mkdtempSync(join(tmpdir(), "capstan-cache-"));
    const result = await run({ PATH: "/usr/bin:/bin", HOME: cache, CAPSTAN_CACHE_DIR: cache });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Go is not installed: the local control plane is built from source with Go >= 1.26/);
  });
});
