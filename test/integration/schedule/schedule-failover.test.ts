import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { parseState } from "../../../src/schedule/state.ts";
import type { StoreShardObject } from "../../../src/store/crd.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import type { RunReport } from "./fixtures/controller-process.ts";

const script = fileURLToPath(new URL("./fixtures/controller-process.ts", import.meta.url));
let client: ApiClient;
let namespace: string;
const children = new Map<string, ChildProcess>();
const reports: RunReport[] = [];

async function startReplica(identity: string): Promise<void> {
  const child = fork(script, [], {
    execPath: process.execPath,
    env: {
      ...process.env,
      KUBECONFIG_PATH: inject("kubeconfig"),
      NAMESPACE: namespace,
      STORE_NAME: "module",
      IDENTITY: identity,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.set(identity, child);
  child.on("message", (message: RunReport | { ready: string }) => {
    if ("event" in message) reports.push(message);
  });
  await once(child, "message");
}

async function kill(identity: string): Promise<void> {
  const child = children.get(identity);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

const ends = (schedule: string) => reports.filter((r) => r.schedule === schedule && r.event === "end");

/** Waits for the next end of an every10 run after `count` ends, and returns who ran it. */
async function nextRunEnd(count: number): Promise<string> {
  const report = await eventually(async () => ends("every10")[count], { timeoutMs: 40_000, what: `run ${count + 1}` });
  // Let the runner write the run's outcome (one store update) before anything gets killed.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return report.identity;
}

async function storedState(name: string) {
  const shards = await client.request<{ items: StoreShardObject[] }>({
    path: `/apis/capstan.dev/v1/namespaces/${namespace}/capstanstores`,
  });
  const entries: Record<string, string> = Object.assign({}, ...shards.items.map((s) => s.data ?? {}));
  return parseState(entries[`schedule:ops/${name}`] ?? null);
}

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  namespace = await freshNamespace(client, "schedule");
});

afterAll(async () => {
  await Promise.all([...children.keys()].map(kill));
  await client?.close();
});

describe("OnSchedule with two controller replicas", () => {
  it("runs each 10 s slot exactly once, without overlap, with the leader killed twice; completions: 3 runs three times", async () => {
    await Promise.all([startReplica("r1"), startReplica("r2")]);
    const firstLeader = await nextRunEnd(0);
    await kill(firstLeader);
    await startReplica("r3");
    const secondLeader = await nextRunEnd(1);
    expect(secondLeader).not.toBe(firstLeader);
    await kill(secondLeader);
    await startReplica("r4");
    const thirdLeader = await nextRunEnd(2);
    expect(thirdLeader).not.toBe(secondLeader);
    await nextRunEnd(3);

    const runs = reports.filter((r) => r.schedule === "every10");
    const starts = runs.filter((r) => r.event === "start");
    const slots = starts.map((r) => Date.parse(r.slot ?? ""));
    // One run per slot, slots consecutive: none lost, none repeated.
    expect(new Set(slots).size).toBe(slots.length);
    for (let i = 1; i < slots.length; i++) expect((slots[i] ?? 0) - (slots[i - 1] ?? 0)).toBe(10_000);
    // No two runs overlap: each run ends before the next starts.
    const ordered = [...runs].sort((a, b) => a.at - b.at);
    for (let i = 0; i < ordered.length; i++) expect(ordered[i]?.event).toBe(i % 2 === 0 ? "start" : "end");
    console.log(
      `[schedule] every10 runs by ${starts.map((r) => r.identity).join(", ")}; start delay after slot: ${starts.map((r) => r.at - Date.parse(r.slot ?? "")).join(", ")} ms`,
    );

    const thrice = reports.filter((r) => r.schedule === "thrice" && r.event === "start");
    expect(thrice).toHaveLength(3);
    expect(new Set(thrice.map((r) => r.identity)).size).toBeGreaterThan(1);
    expect(await storedState("thrice")).toMatchObject({ successes: 3, failures: 0 });
    expect(await storedState("every10")).toMatchObject({ skipped: 0, failures: 0, successes: starts.length });
  }, 150_000);
});
