import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../src/k8s/api-client.ts";
import { isAlive } from "../../src/testing/control-plane/processes.ts";

const cli = fileURLToPath(new URL("../../bin/capstan.js", import.meta.url));
const dir = join(mkdtempSync(join(tmpdir(), "capstan-cli-")), "cluster");

function capstan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

afterAll(async () => {
  await capstan("cluster", "down", "--dir", dir);
});

describe("capstan cluster", () => {
  it("starts a cluster in the background, reports it, and stops every process it started", async () => {
    const up = await capstan("cluster", "up", "--dir", dir);
    expect(up.stderr).toMatch(/local cluster ready at https:\/\/127\.0\.0\.1:\d+/);
    expect(up.code).toBe(0);
    const kubeconfig = up.stdout.trim();
    expect(kubeconfig).toBe(join(dir, "kubeconfig"));

    const again = await capstan("cluster", "up", "--dir", dir);
    expect(again.stdout.trim()).toBe(kubeconfig);
    expect(again.stderr).toMatch(/already running/);

    expect((await capstan("cluster", "status", "--dir", dir)).code).toBe(0);
    expect((await capstan("cluster", "env", "--dir", dir)).stdout).toBe(`export KUBECONFIG=${kubeconfig}\n`);

    const client = await ApiClient.fromKubeconfig({ kubeconfig });
    const namespaces = await client.request<{ items: { metadata: { name: string } }[] }>({
      path: "/api/v1/namespaces",
    });
    expect(namespaces.items.map((n) => n.metadata.name)).toEqual(expect.arrayContaining(["default", "kube-system"]));
    await client.close();

    const pids = Object.values(
      JSON.parse(readFileSync(join(dir, "state.json"), "utf8")).pids as Record<string, number>,
    );
    expect(pids).toHaveLength(3);
    const down = await capstan("cluster", "down", "--dir", dir);
    expect(down.code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    const status = await capstan("cluster", "status", "--dir", dir);
    expect(status.code).toBe(1);
    expect(status.stdout).toBe("not running\n");
  });

  it("explains how to start a cluster when none is running", async () => {
    const env = await capstan("cluster", "env", "--dir", join(dir, "never-started"));
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/no local cluster is running: start one with `capstan cluster up`/);
  });
});
