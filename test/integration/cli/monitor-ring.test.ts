import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { followRing, type RingSourceOptions, readRing } from "../../../src/cli/monitor/ring-source.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

// The ring view against the real API server: shard Leases as the replicas write them, and replicas'
// /metrics served by host processes (a local server here; Pods are not run by the test control plane).
let client: ApiClient;
let ns: string;
let server: Server;
let base: string;
const metrics: Record<string, { status: number; body: string }> = {
  "/a": {
    status: 200,
    body: 'capstan_shard_objects_owned{shard="replica-a"} 2000\ncapstan_shard_queue_depth{shard="replica-a"} 3\ncapstan_shard_moves_total{shard="replica-a"} 10\n',
  },
  "/b": {
    status: 200,
    body: 'capstan_shard_objects_owned{shard="replica-b"} 1000\ncapstan_shard_moves_total{shard="replica-b"} 0\n',
  },
  "/broken": { status: 503, body: "not ready" },
};

async function lease(name: string, shard: string, renewedSecondsAgo: number): Promise<void> {
  const renewTime = new Date(Date.now() - renewedSecondsAgo * 1000).toISOString().replace("Z", "000Z");
  await client.request({
    method: "POST",
    path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
    body: {
      metadata: { name, labels: { "capstan.dev/shard-lease": "capstan-ringtest", "capstan.dev/shard": shard } },
      spec: { holderIdentity: `${shard}-pod`, leaseDurationSeconds: 15, renewTime },
    },
  });
}

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "ring");
  await lease("ringtest-shard-a", "replica-a", 1);
  await lease("ringtest-shard-b", "replica-b", 2);
  await lease("ringtest-shard-c", "replica-c", 60);
  // A Lease of another module is not part of this ring.
  await client.request({
    method: "POST",
    path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
    body: {
      metadata: { name: "other", labels: { "capstan.dev/shard-lease": "other" } },
      spec: { holderIdentity: "x" },
    },
  });
  server = createServer((request, response) => {
    const answer = metrics[request.url ?? ""] ?? { status: 404, body: "" };
    response.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` });
  await client.close();
});

const options = (extra: Partial<RingSourceOptions>): RingSourceOptions => ({
  namespace: ns,
  leaseSelector: "capstan.dev/shard-lease=capstan-ringtest",
  shardLabel: "capstan.dev/shard",
  podSelector: "capstan.dev/uuid=ringtest,app.kubernetes.io/component=controller",
  metricsPort: 3000,
  metricsPath: "/metrics",
  ...extra,
});

describe("capstan monitor --ring on the real API server", () => {
  it("reads members from the module's shard Leases and figures from each replica's metrics", async () => {
    const view = await readRing(client, options({ metricsUrls: [`${base}/a`, `${base}/b`, `${base}/broken`] }));
    expect(view.members.map((m) => m.shard).sort()).toEqual(["replica-a", "replica-b", "replica-c"]);
    const c = view.members.find((m) => m.shard === "replica-c");
    expect(view.now - (c?.renewedAt ?? 0)).toBeGreaterThan(59_000);
    expect(view.samples.get("replica-a")).toEqual({ shard: "replica-a", owned: 2000, queueDepth: 3, moves: 10 });
    expect(view.unreachable).toEqual([`${base}/broken: 503 Service Unavailable`]);
  });

  it("follows the ring until stopped, with moves since the previous reading", async () => {
    const abort = new AbortController();
    const readings: string[] = [];
    const done = followRing(
      client,
      options({ metricsUrls: [`${base}/a`, `${base}/b`] }),
      {
        write: (text) => {
          readings.push(text);
          if (readings.length === 1)
            metrics["/a"] = { status: 200, body: 'capstan_shard_moves_total{shard="replica-a"} 14\n' };
          if (readings.length === 2) abort.abort();
        },
        redraw: false,
        say: (line) => readings.push(`say: ${line}`),
      },
      abort.signal,
      50,
    );
    await done;
    expect(readings).toHaveLength(2);
    expect(readings[0]).toMatch(/^ring: 2 live shards \(1 not live\), 3,000 objects owned/);
    expect(readings[0]).toMatch(/^replica-c +expired 6\d s ago/m);
    expect(readings[1]).toMatch(/^replica-a +renewed \d s ago +– +– +– +14 \(\+4\)$/m);
  });

  it("reads no metrics when no controller Pod runs, and says so without failing", async () => {
    const view = await readRing(client, options({}));
    expect(view.members).toHaveLength(3);
    expect(view.samples.size).toBe(0);
    expect(view.unreachable).toEqual([]);
  });

  it("says a failed reading once and carries on", async () => {
    const abort = new AbortController();
    const said: string[] = [];
    let attempts = 0;
    await followRing(
      client,
      options({ namespace: "no-such-namespace-ring", leaseSelector: "a=(" }),
      {
        write: () => {},
        redraw: false,
        say: (line) => {
          said.push(line);
          if (++attempts >= 1) setTimeout(() => abort.abort(), 120);
        },
      },
      abort.signal,
      30,
    );
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^reading the ring in no-such-namespace-ring failed: .*400.*; retrying$/);
  });

  it("capstan monitor --ring draws the ring of module ringtest from host-process replicas' metrics until Ctrl-C", async () => {
    const proc = spawn(
      process.execPath,
      [
        resolve("bin/capstan.js"),
        "monitor",
        "ringtest",
        "--ring",
        "-n",
        ns,
        "--kubeconfig",
        inject("kubeconfig"),
        "--metrics-url",
        `${base}/a`,
        `${base}/b`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    proc.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => proc.once("exit", (code) => done(code)));
    try {
      await eventually(() => (/^replica-c +expired/m.test(output) ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `the ring table, got:\n${output}`,
      });
    } finally {
      proc.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(output).toContain(`capstan monitor: showing the shard ring of ringtest in ${ns}; Ctrl-C stops`);
    expect(output).toMatch(/^ring: 2 live shards \(1 not live\)/m);
    expect(output).toMatch(/^replica-b +renewed \d+ s ago +1,000 /m);
  });

  it("capstan monitor --ring refuses a module in Pepr compatibility mode, saying why", () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-ring-pepr-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "p", pepr: { uuid: "abc", onError: "ignore" } }));
    const result = spawnSync(process.execPath, [resolve("bin/capstan.js"), "monitor", "--ring"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--ring: this module runs in Pepr compatibility mode");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
