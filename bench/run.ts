// `npm run bench`: starts a private control plane, prepares every engine, runs the scenarios
// (each engine in turn, repeated), and writes bench/RESULTS.md, bench/results.json and
// bench/latency.svg (`node bench/render.ts` renders the last two again from results.json). Not
// part of `npm test`.
//   node bench/run.ts [--runs 5] [--scenarios webhook-alone,through-api-server,watch,store,startup,stall,shard,cel,audit]
//                     [--engines capstan,pepr,capstan@<another checkout>] [--kubeconfig PATH (use a running cluster)] [--out bench]
import { readdirSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApiClient } from "../src/k8s/api-client.ts";
import { startControlPlane, stopControlPlane } from "../src/testing/control-plane/control-plane.ts";
import { baselineEngine, capstanEngine } from "./engines/capstan.ts";
import type { Engine } from "./engines/engine.ts";
import { benchPaths } from "./engines/paths.ts";
import { peprEngine } from "./engines/pepr/engine.ts";
import type { BenchContext } from "./harness/context.ts";
import { writeOutputs } from "./harness/output.ts";
import type { ScenarioResult } from "./harness/results.ts";
import { audit } from "./scenarios/audit.ts";
import { cel } from "./scenarios/cel.ts";
import { shard } from "./scenarios/shard.ts";
import { stall } from "./scenarios/stall.ts";
import { startup } from "./scenarios/startup.ts";
import { store } from "./scenarios/store.ts";
import { throughApiServer } from "./scenarios/through-api-server.ts";
import { watch } from "./scenarios/watch.ts";
import { webhookAlone } from "./scenarios/webhook-alone.ts";

const scenarios: Record<string, (context: BenchContext) => Promise<ScenarioResult | ScenarioResult[]>> = {
  "webhook-alone": webhookAlone,
  "through-api-server": throughApiServer,
  store,
  startup,
  watch,
  stall,
  shard,
  cel,
  audit,
};
const engines: Record<string, Engine> = { capstan: capstanEngine, pepr: peprEngine };

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    scenarios: { type: "string", default: Object.keys(scenarios).join(",") },
    engines: { type: "string", default: Object.keys(engines).join(",") },
    kubeconfig: { type: "string" },
    out: { type: "string", default: "bench" },
  },
});
const runs = Number(values.runs);
const chosen = pick(values.scenarios, scenarios, "scenario");
const chosenEngines = values.engines
  .split(",")
  .flatMap((name) =>
    name.startsWith("capstan@")
      ? [baselineEngine(name.slice("capstan@".length))]
      : pick(name, engines, "engine").map(([, engine]) => engine),
  );
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const startedAt = new Date();
const loadBefore = os.loadavg();

const stateDir = join(benchPaths.work, "control-plane");
const started = values.kubeconfig ? undefined : await startControlPlane({ stateDir, onProgress: log });
const kubeconfig = values.kubeconfig ?? (started?.kubeconfig as string);
const client = await ApiClient.fromKubeconfig({ kubeconfig });
const results: ScenarioResult[] = [];
try {
  for (const engine of chosenEngines) {
    log(`preparing ${engine.name} ${engine.version}`);
    await engine.prepare();
  }
  const context: BenchContext = {
    kubeconfig,
    client,
    engines: chosenEngines,
    runs,
    log,
    ...(started ? { controlPlanePids: Object.values(started.pids) } : {}),
  };
  for (const [name, run] of chosen) {
    log(`scenario ${name}`);
    results.push(...[await run(context)].flat());
  }
  // Run in an order that keeps cluster-wide watchers from caching the watch scenario's 10,000 objects; reported by number.
  results.sort((a, b) => a.title.localeCompare(b.title));
  const server = await client.request<{ gitVersion: string }>({ method: "GET", path: "/version" });
  const info = {
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    startedAt: startedAt.toISOString(),
    minutes: (Date.now() - startedAt.getTime()) / 60_000,
    runs,
    machine: [
      `${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    ],
    versions: [
      `Node ${process.version}; ${chosenEngines.map((e) => `${e.name} ${e.version}`).join("; ")}`,
      `kube-apiserver ${server.gitVersion}, ${controlPlaneBuild()}`,
    ],
    loadAverage: { before: rounded(loadBefore), after: rounded(os.loadavg()) },
  };
  await writeOutputs(values.out, { info, results }, { json: true });
  log(`wrote ${join(values.out, "RESULTS.md")}`);
} finally {
  await client.close();
  if (!values.kubeconfig) await stopControlPlane(stateDir);
}

function pick<T>(list: string, known: Record<string, T>, what: string): [string, T][] {
  return list.split(",").map((name) => {
    const found = known[name];
    if (!found) throw new Error(`unknown ${what} "${name}"; choose from ${Object.keys(known).join(", ")}`);
    return [name, found];
  });
}

function rounded(values: readonly number[]): number[] {
  return values.map((v) => Math.round(v * 10) / 10);
}

function controlPlaneBuild(): string {
  const dir = join(os.homedir(), ".cache", "capstan", "control-plane");
  const builds = readdirSync(dir).filter((name) => name.startsWith("k8s-"));
  return `control-plane build ${builds.join(", ")}`;
}
