// Admission webhook benchmark: capstan's /mutate and /validate beside two bare node:https servers
// (a fixed allow; clone + label + fast-json-patch diff), each in its own process, taking turns,
// all with the same ~10 KB Pod AdmissionReview. Not part of `npm test`:
//   node bench/admission/run.ts [--duration 10] [--connections 10] [--rounds 3] [--out bench/admission/results.json]
import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createCertificateAuthority } from "../../src/tls/certificates.ts";
import { podReview } from "./fixture.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    out: { type: "string", default: "" },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const body = JSON.stringify(podReview());
const ca = await createCertificateAuthority({ commonName: "bench" });
const serving = await ca.issue({ commonName: "127.0.0.1", usage: "server", ipAddresses: ["127.0.0.1"] });

const targets = [
  { name: "bare node:https, fixed allow", process: "bare-allow", path: "/" },
  { name: "bare node:https, clone + label + fast-json-patch diff", process: "bare-patch", path: "/" },
  { name: "capstan /mutate (1 Mutate binding)", process: "capstan", path: "/mutate/bench" },
  { name: "capstan /validate (1 Validate binding)", process: "capstan", path: "/validate/bench" },
] as const;

async function startTarget(kind: string): Promise<{ port: number; stop: () => void }> {
  const child = fork(fileURLToPath(new URL("./server-process.ts", import.meta.url)), [kind], {
    env: { ...process.env, CERT: serving.cert, KEY: serving.key, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port: number }) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { port, stop: () => child.kill("SIGTERM") };
}

// Each server runs in its own process for the whole run; targets take turns round after round, so
// background load on a shared machine spreads over all of them, and each row is the median round.
const servers = new Map<string, { port: number; stop: () => void }>();
for (const kind of new Set(targets.map((t) => t.process))) servers.set(kind, await startTarget(kind));
const samples = new Map<string, { rps: number; p50: number; p99: number; errors: number; non2xx: number }[]>();
for (let round = 0; round <= rounds; round++) {
  for (const target of targets) {
    const { port } = servers.get(target.process) as { port: number };
    const options = {
      url: `https://127.0.0.1:${port}${target.path}`,
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      connections,
    };
    // Round 0 warms every target up (JIT, TLS sessions) and is not counted.
    const result = await autocannon({ ...options, duration: round === 0 ? 2 : duration });
    if (round === 0) continue;
    const list = samples.get(target.name) ?? [];
    list.push({
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    });
    samples.set(target.name, list);
    console.error(
      `round ${round} ${target.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    );
  }
}
for (const server of servers.values()) server.stop();

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const rows = targets.map((target) => {
  const list = samples.get(target.name) ?? [];
  return {
    target: target.name,
    requestsPerSecond: Math.round(median(list.map((s) => s.rps))),
    p50ms: median(list.map((s) => s.p50)),
    p99ms: median(list.map((s) => s.p99)),
    errors: list.reduce((sum, s) => sum + s.errors, 0),
    non2xx: list.reduce((sum, s) => sum + s.non2xx, 0),
  };
});

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.type()} ${os.release()}`,
  bodyBytes: Buffer.byteLength(body),
  duration,
  connections,
  rounds,
  loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
};
const table = [
  "| target | req/s | p50 ms | p99 ms | errors | non-2xx |",
  "|---|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.target} | ${r.requestsPerSecond} | ${r.p50ms} | ${r.p99ms} | ${r.errors} | ${r.non2xx} |`),
].join("\n");
console.log(JSON.stringify(machine));
console.log(table);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ machine, rows }, null, 2)}\n`);
