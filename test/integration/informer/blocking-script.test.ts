import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { K8s, setDefaultClient } from "../../../src/k8s/fluent/index.ts";
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

/** Runs kubectl against the test control plane the way a user's script does: synchronously, blocking the event loop. */
function kubectl(...args: string[]): void {
  execFileSync("kubectl", ["--kubeconfig", inject("kubeconfig"), ...args], { stdio: "pipe" });
}

describe("a Watch while the script blocks the event loop with kubectl", () => {
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
      for (let i = 0; i < 60; i++) kubectl("create", "configmap", `cm-${i}`, "-n", ns, "--from-literal=v=0");
      for (let i = 0; i < 20; i++)
        kubectl("patch", "configmap", `cm-${i}`, "-n", ns, "--type=merge", "-p", '{"data":{"v":"1"}}');
      for (let i = 40; i < 60; i++) kubectl("delete", "configmap", `cm-${i}`, "-n", ns, "--wait=false");
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
