// Admission webhook benchmark: capstan's /mutate and /validate beside two bare node:https servers
// (a fixed allow; clone + label + fast-json-patch diff), each in its own process, taking turns,
// all with the same ~10 KB Pod AdmissionReview. Not part of `npm test`:
//   node bench/admission/run.ts [--duration 10] [--connections 10] [--rounds 3] [--out bench/admission/results.json]
//     [--baseline DIR]
// --baseline adds capstan's /mutate and /validate served from another checkout (DIR holds its src/ and
// bench/, e.g. `git archive <commit> src bench package.json | tar -x -C DIR` plus a node_modules link),
// so a change is measured against the code before it in the same run.
import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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
    baseline: { type: "string", default: "" },
  },
});
const loadAtStart = os.loadavg();
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const body = JSON.stringify(podReview());
const ca = await createCertificateAuthority({ commonName: "bench" });
const serving = await ca.issue({ commonName: "127.0.0.1", usage: "server", ipAddresses: ["127.0.0.1"] });

const baselineLabel = values.baseline ? ` (baseline: ${path.basename(values.baseline)})` : "";
const targets = [
  { name: "bare node:https, fixed allow", process: "bare-allow", path: "/" },
  { name: "bare node:https, clone + label + fast-json-patch diff", process: "bare-patch", path: "/" },
  ...(values.baseline
    ? [
        { name: `capstan /mutate${baselineLabel}`, process: "baseline", path: "/mutate/bench" },
        { name: `capstan /validate${baselineLabel}`, process: "baseline", path: "/validate/bench" },
      ]
    : []),
  { name: "capstan /mutate (1 Mutate binding)", process: "capstan", path: "/mutate/bench" },
  { name: "capstan /validate (1 Validate binding)", process: "capstan", path: "/validate/bench" },
];

interface Target {
  readonly port: number;
  /** The server process's CPU time so far, in microseconds. */
  cpu(): Promise<number>;
  stop(): void;
}

async function startTarget(kind: string): Promise<Target> {
  const script =
    kind === "baseline"
      ? path.resolve(values.baseline, "bench/admission/server-process.ts")
      : fileURLToPath(new URL("./server-process.ts", import.meta.url));
  const child = fork(script, [kind === "baseline" ? "capstan" : kind], {
    env: { ...process.env, CERT: serving.cert, KEY: serving.key, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port: number }) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  const cpu = () =>
    new Promise<number>((resolve) => {
      const listen = (message: { cpu?: NodeJS.CpuUsage }) => {
        if (!message.cpu) return;
        child.off("message", listen);
        resolve(message.cpu.user + message.cpu.system);
      };
      child.on("message", listen);
      child.send("cpu");
    });
  return { port, cpu, stop: () => child.kill("SIGTERM") };
}

// Each server runs in its own process for the whole run; targets take turns round after round, so
// background load on a shared machine spreads over all of them, and each row is the median round.
const servers = new Map<string, Target>();
for (const kind of new Set(targets.map((t) => t.process))) servers.set(kind, await startTarget(kind));
interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU time per answered request, in microseconds: steadier than req/s on a shared machine. */
  cpuUs: number;
  /** req/s over the bare fixed-allow server's in the same round: the ratio background load disturbs least. */
  ofAllow: number;
  errors: number;
  non2xx: number;
}
const samples = new Map<string, Sample[]>();
const ALLOW = targets[0]?.name as string;
for (let round = 0; round <= rounds; round++) {
  for (const target of targets) {
    const server = servers.get(target.process) as Target;
    const { port } = server;
    const options = {
      url: `https://127.0.0.1:${port}${target.path}`,
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      connections,
    };
    // Round 0 warms every target up (JIT, TLS sessions) and is not counted.
    const cpuBefore = await server.cpu();
    const result = await autocannon({ ...options, duration: round === 0 ? 2 : duration });
    const cpuUs = (await server.cpu()) - cpuBefore;
    if (round === 0) continue;
    const list = samples.get(target.name) ?? [];
    list.push({
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuUs: cpuUs / Math.max(1, result.requests.total),
      ofAllow: result.requests.average / ((samples.get(ALLOW) ?? [])[round - 1]?.rps ?? result.requests.average),
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    });
    samples.set(target.name, list);
    console.error(
      `round ${round} ${target.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${Math.round(cpuUs / Math.max(1, result.requests.total))} µs CPU/request`,
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
    cpuUsPerRequest: Math.round(median(list.map((s) => s.cpuUs))),
    percentOfAllow: Math.round(100 * median(list.map((s) => s.ofAllow))),
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
  baseline: values.baseline || undefined,
  loadAverageAtStart: loadAtStart.map((l) => Math.round(l * 10) / 10),
  loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 10) / 10),
};
const table = [
  "| target | req/s | % of fixed allow | p50 ms | p99 ms | server CPU µs/request | errors | non-2xx |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.target} | ${r.requestsPerSecond} | ${r.percentOfAllow} | ${r.p50ms} | ${r.p99ms} | ${r.cpuUsPerRequest} | ${r.errors} | ${r.non2xx} |`,
  ),
].join("\n");
console.log(JSON.stringify(machine));
console.log(table);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ machine, rows }, null, 2)}\n`);
