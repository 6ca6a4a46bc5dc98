import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LeaderElector } from "../../../src/controller/leader-election.ts";
import type { Lease } from "../../../src/controller/lease-record.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { Log } from "../../../src/telemetry/logger.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { killLeaders, readJsonLines, spawnFixture } from "./support.ts";

const quiet = Log.child({}, { level: "silent" });
const fast = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

let client: ApiClient;
let namespace: string;

beforeAll(async () => {
  client = await adminClient();
  namespace = await freshNamespace(client, "leader");
});
afterAll(async () => {
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` });
  await client.close();
});

function readLease(name: string): Promise<Lease> {
  return client.request<Lease>({ path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}` });
}

describe("LeaderElector in one process", () => {
  it("elects exactly one of two candidates, hands over on release, and the standby leads at once", async () => {
    const leading = new Set<string>();
    let overlap = false;
    const candidate = (identity: string) =>
      new LeaderElector({
        client,
        namespace,
        name: "pair",
        identity,
        logger: quiet,
        ...fast,
        onStartedLeading: () => {
          if (leading.size > 0) overlap = true;
          leading.add(identity);
        },
        onStoppedLeading: () => void leading.delete(identity),
      });
    const a = candidate("a");
    const b = candidate("b");
    a.start();
    b.start();
    const first = await eventually(async () => [...leading][0], { what: "a leader" });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect([...leading]).toEqual([first]);
    expect((await readLease("pair")).spec.holderIdentity).toBe(first);

    const [leader, standby] = first === "a" ? [a, b] : [b, a];
    const releasedAt = Date.now();
    await leader.release();
    expect(leader.isLeader).toBe(false);
    await eventually(async () => (standby.isLeader ? true : undefined), { what: "the standby to lead" });
    const handover = Date.now() - releasedAt;
    expect(handover).toBeLessThan(fast.retryPeriodMs + 500);
    const lease = await readLease("pair");
    expect(lease.spec.holderIdentity).toBe(standby.identity);
    expect(lease.spec.leaseTransitions).toBe(1);
    expect(overlap).toBe(false);
    await standby.release();
    expect((await readLease("pair")).spec.holderIdentity).toBe("");
  });

  it("refuses timings that could give two leaders", () => {
    expect(
      () => new LeaderElector({ client, namespace, name: "x", leaseDurationMs: 5000, renewDeadlineMs: 6000 }),
    ).toThrow(/retryPeriodMs < renewDeadlineMs < leaseDurationMs/);
  });
});

interface LogLine {
  readonly pid: number;
  readonly event: "ready" | "start" | "alive" | "stop";
  readonly t: number;
}

/** Leadership intervals per process; a killed leader's interval ends at the kill. */
function intervals(lines: LogLine[], killedAt: Map<number, number>, now: number) {
  const open = new Map<number, number>();
  const result: { pid: number; from: number; to: number }[] = [];
  for (const line of lines) {
    if (line.event === "start") open.set(line.pid, line.t);
    if (line.event === "stop") {
      const from = open.get(line.pid);
      if (from !== undefined) result.push({ pid: line.pid, from, to: line.t });
      open.delete(line.pid);
    }
  }
  for (const [pid, from] of open) result.push({ pid, from, to: killedAt.get(pid) ?? now });
  return result.sort((x, y) => x.from - y.from);
}

describe("failover between controller processes", () => {
  const leaseDurationMs = Number(process.env.CAPSTAN_FAILOVER_LEASE_MS ?? 5000);
  const renewDeadlineMs = Number(process.env.CAPSTAN_FAILOVER_RENEW_MS ?? 3000);
  const retryPeriodMs = Number(process.env.CAPSTAN_FAILOVER_RETRY_MS ?? 1000);
  const children = new Map<number, ChildProcess>();
  const logFile = join(mkdtempSync(join(tmpdir(), "capstan-failover-")), "leadership.jsonl");

  const spawnReplica = () =>
    spawnFixture(children, "elector.ts", [
      inject("kubeconfig"),
      namespace,
      "failover",
      logFile,
      `${leaseDurationMs}`,
      `${renewDeadlineMs}`,
      `${retryPeriodMs}`,
    ]);
  const lines = () => readJsonLines<LogLine>(logFile);

  afterAll(() => {
    for (const child of children.values()) child.kill("SIGKILL");
  });

  it("takes over within the lease duration plus one retry period after kill -9, five times, never two leaders", async () => {
    spawnReplica();
    spawnReplica();
    const startOf = (pid: number) => lines().find((l) => l.pid === pid && l.event === "start");
    const readyOf = (pid: number) => lines().find((l) => l.pid === pid && l.event === "ready");
    const firstLeader = await eventually(async () => lines().find((l) => l.event === "start")?.pid, {
      timeoutMs: 30_000,
      what: "a first leader",
    });
    const { takeovers, killedAt, leader } = await killLeaders({
      rounds: 5,
      // Let the standby observe at least one renew, as in steady state.
      settleMs: 2 * retryPeriodMs,
      leaseDurationMs,
      children,
      firstLeader,
      spawnReplica,
      leaderSince: (after, victim) => lines().find((l) => l.event === "start" && l.t > after && l.pid !== victim),
      isReady: (pid) => readyOf(pid) !== undefined,
    });
    console.log(
      `[failover] lease ${leaseDurationMs} ms, retry ${retryPeriodMs} ms; takeover after kill -9 (ms): ${takeovers.join(", ")}`,
    );
    for (const takeover of takeovers) expect(takeover).toBeLessThanOrEqual(leaseDurationMs + retryPeriodMs);
    expect(startOf(leader)).toBeDefined();

    // SIGTERM: the leader releases the lease and the standby takes over on its next check.
    const terminated = leader;
    const termTime = Date.now();
    children.get(terminated)?.kill("SIGTERM");
    const afterTerm = await eventually(
      async () => lines().find((l) => l.event === "start" && l.t > termTime && l.pid !== terminated),
      { timeoutMs: leaseDurationMs + 10_000, intervalMs: 50, what: "a leader after SIGTERM" },
    );
    console.log(`[failover] takeover after SIGTERM (release): ${afterTerm.t - termTime} ms`);
    expect(afterTerm.t - termTime).toBeLessThanOrEqual(retryPeriodMs + 1000);

    const all = intervals(lines(), killedAt, Date.now());
    for (let i = 1; i < all.length; i++) {
      const previous = all[i - 1];
      const current = all[i];
      if (previous && current)
        expect(current.from, `leaders ${previous.pid} and ${current.pid} overlap`).toBeGreaterThanOrEqual(previous.to);
    }
    expect(all.length).toBeGreaterThanOrEqual(7);
  });
});
