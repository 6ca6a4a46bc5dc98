import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { K8s, setDefaultClient } from "../../../src/fluent/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { sleep } from "./helpers.ts";

let client: ApiClient;

beforeAll(async () => {
  client = await adminClient();
  setDefaultClient(client);
});

afterAll(async () => {
  setDefaultClient(undefined);
  await client.close();
});

const hasKubectl = (() => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/**
 * One write the way a user's script makes it: a synchronous child process, blocking the event loop
 * until it is done. kubectl against the test control plane, or, where kubectl is not installed, a
 * node process making the same request.
 */
function write(verb: "create" | "patch" | "delete", ns: string, name: string, data: Record<string, string> = {}): void {
  const kubeconfig = inject("kubeconfig");
  if (!hasKubectl) {
    const script = join(import.meta.dirname, "sync-write.ts");
    execFileSync(process.execPath, [script, kubeconfig, verb, ns, name, JSON.stringify(data)], { stdio: "pipe" });
    return;
  }
  const literals = Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`);
  const args =
    verb === "create"
      ? ["create", "configmap", name, "-n", ns, ...literals]
      : verb === "patch"
        ? ["patch", "configmap", name, "-n", ns, "--type=merge", "-p", JSON.stringify({ data })]
        : ["delete", "configmap", name, "-n", ns, "--wait=false"];
  execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], { stdio: "pipe" });
}

describe(`a Watch while the script blocks the event loop with ${hasKubectl ? "kubectl" : "synchronous child processes"}`, () => {
  it("delivers every event of 60 creates, 20 patches and 20 deletes made by execFileSync after start()", async () => {
    const ns = await freshNamespace(client, "blocking-script");
    const seen: string[] = [];
    const watcher = K8s(ConfigMap)
      .InNamespace(ns)
      .Watch((cm, phase) => {
        if (cm.metadata?.name !== "kube-root-ca.crt") seen.push(`${phase} ${cm.metadata?.name}`);
      });
    await watcher.start();
    try {
      // The whole script runs without giving the event loop a turn: every change happens while the
      // watch cannot read a byte, and is delivered afterwards.
      for (let i = 0; i < 60; i++) write("create", ns, `cm-${i}`, { v: "0" });
      for (let i = 0; i < 20; i++) write("patch", ns, `cm-${i}`, { v: "1" });
      for (let i = 40; i < 60; i++) write("delete", ns, `cm-${i}`);
      const writesDone = Date.now();
      for (let i = 0; i < 300 && seen.length < 100; i++) await sleep(100);
      console.log(
        `[blocking-script] ${seen.length} events, all within ${Date.now() - writesDone} ms of the last write`,
      );
      const count = (type: string) => seen.filter((s) => s.startsWith(type)).length;
      expect({ added: count("ADDED"), modified: count("MODIFIED"), deleted: count("DELETED") }).toEqual({
        added: 60,
        modified: 20,
        deleted: 20,
      });
      expect(seen.slice(0, 3)).toEqual(["ADDED cm-0", "ADDED cm-1", "ADDED cm-2"]);
      expect(seen.at(-1)).toBe("DELETED cm-59");
    } finally {
      watcher.close();
    }
  }, 180_000);
});
