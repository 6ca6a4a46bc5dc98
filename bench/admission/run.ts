// Admission webhook benchmark: capstan's /mutate and /validate beside two bare node:https servers
// (a fixed allow; clone + label + fast-json-patch diff), one target at a time in its own process,
// all with the same ~10 KB Pod AdmissionReview. Not part of `npm test`:
//   node bench/admission/run.ts [--duration 10] [--connections 10] [--out bench/admission/results.json]
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
    out: { type: "string", default: "" },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const body = JSON.stringify(podReview());
const ca = await createCertificateAuthority({ commonName: "bench" });
const serving = await ca.issue({ commonName: "127.0.0.1", usage: "server", ipAddresses: ["127.0.0.1"] });

const targets = [
  { name: "bare node:https, fixed allow", process: "bare-allow", path: "/" },
  { name: "bare node:https, clone + label + fast-json-patch diff", process: "bare-patch", path: "/" },
  { name: "capstan /mutate (1 Mutate binding)", process: "capstan", path: "/mutate/bench" },
  { name: "capstan /validate (1 Validate binding)", process: "capstan", path: "/validate/bench" },
] as const;

interface Row {
  target: string;
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  non2xx: number;
}
const rows: Row[] = [];
for (const target of targets) {
  const child = fork(fileURLToPath(new URL("./server-process.ts", import.meta.url)), [target.process], {
    env: { ...process.env, CERT: serving.cert, KEY: serving.key, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port: number }) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`${target.process} server exited with ${code}`)));
  });
  const url = `https://127.0.0.1:${port}${target.path}`;
  const options = { url, method: "POST", body, headers: { "content-type": "application/json" }, connections };
  await autocannon({ ...options, duration: 2 });
  const result = await autocannon({ ...options, duration });
  child.kill("SIGTERM");
  rows.push({
    target: target.name,
    requestsPerSecond: Math.round(result.requests.average),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  });
  console.error(
    `${target.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
  );
}

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.type()} ${os.release()}`,
  bodyBytes: Buffer.byteLength(body),
  duration,
  connections,
};
const table = [
  "| target | req/s | p50 ms | p99 ms | errors | non-2xx |",
  "|---|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.target} | ${r.requestsPerSecond} | ${r.p50ms} | ${r.p99ms} | ${r.errors} | ${r.non2xx} |`),
].join("\n");
console.log(JSON.stringify(machine));
console.log(table);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ machine, rows }, null, 2)}\n`);
