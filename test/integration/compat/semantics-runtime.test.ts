import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

// A Pepr module under `capstan dev`'s runtime, its log read the way Pepr's module e2e tests read a
// pod's log: JSON lines, matched by message or by substring.

const fixture = fileURLToPath(new URL("./fixtures/semantics-module.ts", import.meta.url));
let client: ApiClient;
let namespace: string;
let child: ChildProcess;
const lines: string[] = [];

const parsed = () =>
  lines.flatMap((line) => (line.startsWith("{") ? [JSON.parse(line) as Record<string, unknown>] : []));

beforeAll(async () => {
  client = await adminClient();
  namespace = await freshNamespace(client, "compat-semantics");
  await client.request({
    method: "PATCH",
    path: `/api/v1/namespaces/${namespace}`,
    contentType: "application/merge-patch+json",
    body: { metadata: { labels: { "capstan.dev/test-kit": "true" } } },
  });
  child = spawn(process.execPath, [fixture], {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      KUBECONFIG_PATH: inject("kubeconfig"),
      NAMESPACE: namespace,
      MODULE_UUID: `sem-${randomBytes(4).toString("hex")}`,
      LOG_LEVEL: "debug",
    },
  });
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const complete = text.split("\n");
    partial = complete.pop() ?? "";
    lines.push(...complete.filter(Boolean));
  });
  await eventually(async () => (parsed().some((line) => line.msg === "module running") ? true : undefined), {
    timeoutMs: 60_000,
    what: "the module to run",
  });
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  if (namespace) await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
  await client?.close();
});

describe("Pepr mode semantics under capstan's runtime", () => {
  it("Reconcile runs once for each of twelve quick applies, in order (PEPR_RECONCILE_STRATEGY unset: kindNsName)", async () => {
    for (let value = 1; value <= 12; value++) {
      await client.request({
        method: "PATCH",
        path: `/api/v1/namespaces/${namespace}/configmaps/twelve`,
        query: { fieldManager: "semantics-test", force: true },
        contentType: "application/apply-patch+yaml",
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "twelve" }, data: { value: String(value) } },
      });
    }
    const reconciled = () => parsed().filter((line) => line.msg === "reconciled");
    await eventually(async () => (reconciled().length >= 12 ? true : undefined), {
      timeoutMs: 30_000,
      what: "twelve reconcile calls",
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(reconciled().map((line) => line.reconciled)).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    expect(reconciled().map((line) => line.phase)).toEqual(["ADDED", ...Array(11).fill("MODIFIED")]);
  }, 60_000);

  it("logs Pepr's 'Scheduling processed', and only the module's own lines match its `schedule` field", async () => {
    const needle = `"schedule":"forever"`;
    await eventually(async () => (lines.some((line) => line.includes(needle)) ? true : undefined), {
      timeoutMs: 40_000,
      what: "the schedule's first run",
    });
    const processed = parsed().find((line) => line.msg === "Scheduling processed");
    expect(processed).toBeDefined();
    const runs = lines
      .filter((line) => line.includes(needle))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // Each is the job's own line: no message, no field of capstan's.
    for (const run of runs) {
      expect(run.msg).toBeUndefined();
      expect(Object.keys(run).filter((key) => key.startsWith("capstan."))).toEqual([]);
    }
    // As in Pepr's OnSchedule example test: the first run comes one interval (10 s) after the line.
    const delaySeconds = ((runs[0]?.time as number) - (processed?.time as number)) / 1000;
    expect(delaySeconds).toBeGreaterThan(9);
    expect(delaySeconds).toBeLessThan(15);
    // The line carries the process's hostname, which Pepr's test uses to pair it with the run.
    expect(processed?.hostname).toBe(runs[0]?.hostname);
  }, 60_000);
});
