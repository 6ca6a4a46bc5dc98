import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { configMapPath } from "../informer/helpers.ts";
import { killLeaders, readJsonLines, sleep, spawnFixture } from "./support.ts";

interface Line {
  readonly pid: number;
  readonly t: number;
  readonly event: "ready" | "leading" | "begin" | "end" | "stopped";
  readonly key?: string;
  readonly n?: number;
}

let client: ApiClient;
let ns: string;
const children = new Map<number, ChildProcess>();

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "churn");
});
afterAll(async () => {
  for (const child of children.values()) child.kill("SIGKILL");
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` });
  await client.close();
});

describe("controller failover under churn", () => {
  const leaseDurationMs = 5000;
  const renewDeadlineMs = 3000;
  const retryPeriodMs = 1000;
  const logFile = join(mkdtempSync(join(tmpdir(), "capstan-churn-")), "replicas.jsonl");
  const lines = () => readJsonLines<Line>(logFile);
  const spawnReplica = () =>
    spawnFixture(children, "controller-replica.ts", [
      inject("kubeconfig"),
      ns,
      logFile,
      `${leaseDurationMs}`,
      `${renewDeadlineMs}`,
      `${retryPeriodMs}`,
    ]);

  it("takes over after kill -9 five times, loses no change, and never reconciles one object in two replicas at once", async () => {
    const objects = Array.from({ length: 20 }, (_, i) => `obj-${i}`);
    const written = new Map<string, number>();
    for (const name of objects) {
      await client.request({
        method: "POST",
        path: configMapPath(ns),
        body: { metadata: { name, labels: { churn: "yes" } }, data: { n: "0" } },
      });
      written.set(name, 0);
    }
    let stopChurn = false;
    const churn = (async () => {
      for (let i = 0; !stopChurn; i++) {
        const name = objects[i % objects.length] ?? "";
        const n = (written.get(name) ?? 0) + 1;
        await client.request({
          method: "PATCH",
          path: configMapPath(ns, name),
          contentType: "application/merge-patch+json",
          body: { data: { n: String(n) } },
        });
        written.set(name, n);
        await sleep(25);
      }
    })();

    spawnReplica();
    spawnReplica();
    const leaderSince = (after: number, not?: number) =>
      lines().find((l) => l.event === "leading" && l.t > after && l.pid !== not)?.pid;
    const firstLeader = await eventually(async () => leaderSince(0), { timeoutMs: 30_000, what: "a first leader" });
    const { takeovers, killedAt } = await killLeaders({
      rounds: 5,
      settleMs: 3 * retryPeriodMs,
      leaseDurationMs,
      children,
      firstLeader,
      spawnReplica,
      leaderSince: (after, victim) => lines().find((l) => l.event === "leading" && l.t > after && l.pid !== victim),
      isReady: (pid) => lines().some((l) => l.pid === pid && l.event === "ready"),
    });
    stopChurn = true;
    await churn;

    // No change lost: the current leader reconciles every object's last written value.
    await eventually(
      async () => {
        const seen = new Map<string, number>();
        for (const line of lines()) {
          if (line.event === "end" && line.key) seen.set(line.key, Math.max(seen.get(line.key) ?? -1, line.n ?? -1));
        }
        return objects.every((name) => seen.get(name) === written.get(name)) ? true : undefined;
      },
      { timeoutMs: 30_000, what: "every object's last value reconciled" },
    );

    // No object reconciled by two replicas at once: per object, no two begin..end spans of different processes overlap.
    const spans = new Map<string, { pid: number; from: number; to: number }[]>();
    const open = new Map<string, { pid: number; from: number }>();
    for (const line of lines()) {
      if (!line.key) continue;
      const id = `${line.pid}|${line.key}`;
      if (line.event === "begin") open.set(id, { pid: line.pid, from: line.t });
      if (line.event === "end") {
        const began = open.get(id);
        open.delete(id);
        if (began) spans.set(line.key, [...(spans.get(line.key) ?? []), { ...began, to: line.t }]);
      }
    }
    for (const [id, began] of open) {
      const key = id.split("|")[1] ?? "";
      spans.set(key, [...(spans.get(key) ?? []), { ...began, to: killedAt.get(began.pid) ?? Date.now() }]);
    }
    let overlaps = 0;
    for (const list of spans.values()) {
      const sorted = [...list].sort((a, b) => a.from - b.from);
      for (let i = 1; i < sorted.length; i++) {
        const previous = sorted[i - 1];
        const current = sorted[i];
        if (previous && current && current.pid !== previous.pid && current.from < previous.to) overlaps++;
      }
    }
    const reconciles = lines().filter((l) => l.event === "end").length;
    console.log(
      `[failover-churn] takeover after kill -9 (ms): ${takeovers.join(", ")}; ${reconciles} reconciles, ${overlaps} overlaps`,
    );
    expect(overlaps).toBe(0);
    for (const takeover of takeovers) expect(takeover).toBeLessThanOrEqual(leaseDurationMs + retryPeriodMs);
  });
});
