// Scenario 7: a sharded controller (issue 18). 6,000 ConfigMaps exist; 1, 2 or 3 controller replicas
// start as host processes (bench/shard/replica.ts), all pinned to the same one CPU so every row has
// the same CPU budget, and reconcile every object once (the callback spends BENCH_WORK_MS of CPU).
// Measured: time until every object was reconciled, reconciles/s, CPU per 1,000 objects summed over
// the replicas, resident memory per replica, and the largest replica's share. Scenario 8, the ring
// simulation at 100 shards × 1,000,000 objects, runs with it (bench/shard/simulate.ts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchEvent, EngineProcess, now } from "../engines/engine-process.ts";
import { benchPaths } from "../engines/paths.ts";
import { sleep } from "../engines/running-engine.ts";
import { type BenchContext, dropNamespace, freshNamespace, pin } from "../harness/context.ts";
import { configMapRequests, createAll } from "../harness/load.ts";
import { SampleTable, type ScenarioResult } from "../harness/results.ts";
import { ringSimulation } from "../shard/simulate.ts";

const OBJECTS = 6_000;
const WORK_MS = 1;
/** Every replica runs on this CPU (the second core; the control plane is not pinned). */
const CPU = "1";
const SETTLE_MS = 2_000;
const REPLICA = fileURLToPath(new URL("../shard/replica.ts", import.meta.url));

export async function shard(context: BenchContext): Promise<ScenarioResult[]> {
  const namespace = await freshNamespace(context.client, "bench-shard");
  const table = new SampleTable();
  try {
    context.log(`shard: creating ${OBJECTS} ConfigMaps in ${namespace}`);
    const created = await createAll(context.client, configMapRequests(namespace, "obj", OBJECTS), 20);
    const first = Math.min(...created.map((c) => c.sentAt));
    const last = Math.max(...created.map((c) => c.doneAt));
    const writesPerSecond = OBJECTS / ((last - first) / 1000);
    context.log(`shard: ${writesPerSecond.toFixed(0)} creates/s at 20 in flight`);
    for (let round = 1; round <= context.runs; round++) {
      for (const replicas of replicaCounts()) {
        const run = await reconcileAll(context, namespace, replicas);
        table.add(target(replicas), run);
        context.log(
          `shard round ${round}, ${replicas} replica(s): ${run.rate.toFixed(0)} reconciles/s, ` +
            `RSS ${run.rssMax.toFixed(0)} MiB max per replica`,
        );
      }
    }
    const result: ScenarioResult = {
      id: "shard",
      title: "7. Sharded controller",
      method:
        `${OBJECTS.toLocaleString("en")} ConfigMaps (4 keys each) exist; 1, 2 or 3 controller replicas start as host ` +
        `processes (bench/shard/replica.ts), all pinned to CPU ${CPU} (taskset) so every row has one core, and ` +
        `reconcile every object once, the callback spending ${WORK_MS} ms of CPU. Time from spawning the replicas to ` +
        "the last object's reconcile; reconciles/s between the first and the last reconcile; CPU time of all replicas " +
        `per 1,000 objects; resident memory per replica ${SETTLE_MS / 1000} s after the last reconcile (largest and ` +
        "mean); the largest replica's share of the objects; objects reconciled by more than one replica.",
      metrics: [
        { key: "seconds", label: "all reconciled", unit: "s", better: "lower", digits: 1 },
        { key: "rate", label: "reconciles/s", unit: "", better: "higher" },
        { key: "cpuPer1000", label: "CPU per 1,000 objects", unit: "ms", better: "lower" },
        { key: "rssMax", label: "RSS largest replica", unit: "MiB", better: "lower" },
        { key: "rssMean", label: "RSS mean replica", unit: "MiB", better: "lower" },
        { key: "share", label: "largest share", unit: "%", better: "lower", digits: 1 },
        { key: "twice", label: "reconciled twice", unit: "", better: "lower" },
      ],
      rows: table.rows(),
      distributions: [],
      notes: [
        `The control plane (kube-apiserver, etcd) is not pinned; it creates the ${OBJECTS.toLocaleString("en")} objects at ` +
          `${writesPerSecond.toFixed(0)}/s with 20 requests in flight on this machine.`,
      ],
    };
    return [result, ringSimulation(undefined, context.log)];
  } finally {
    await dropNamespace(context.client, namespace);
  }
}

function replicaCounts(): number[] {
  return [1];
}

function target(replicas: number): string {
  return replicas === 1 ? "capstan, 1 replica" : `capstan, ${replicas} replicas, sharded`;
}

interface ReplicaRun extends Record<string, number> {
  readonly seconds: number;
  readonly rate: number;
  readonly cpuPer1000: number;
  readonly rssMax: number;
  readonly rssMean: number;
  readonly share: number;
  readonly twice: number;
}

async function reconcileAll(context: BenchContext, namespace: string, replicas: number): Promise<ReplicaRun> {
  const logs = join(benchPaths.work, "shard");
  mkdirSync(logs, { recursive: true });
  const startedAt = now();
  const processes = Array.from(
    { length: replicas },
    (_, i) =>
      new EngineProcess({
        label: `shard replica ${i}`,
        command: process.execPath,
        args: [REPLICA],
        env: {
          ...process.env,
          KUBECONFIG: context.kubeconfig,
          BENCH_NAMESPACE: namespace,
          BENCH_WORK_MS: String(WORK_MS),
        },
        logFile: join(logs, `replica-${i}.log`),
      }),
  );
  try {
    for (const child of processes) pin(child.pid, CPU);
    const owner = new Map<string, number>();
    let twice = 0;
    let firstAt = Number.POSITIVE_INFINITY;
    let lastAt = 0;
    const counts = processes.map(() => 0);
    const onEvent = (i: number) => (event: BenchEvent, resolve: () => void) => {
      if (event.event !== "reconciled") return;
      const seen = owner.get(event.name);
      if (seen === undefined) {
        owner.set(event.name, i);
        counts[i] = (counts[i] ?? 0) + 1;
        firstAt = Math.min(firstAt, event.at);
        lastAt = Math.max(lastAt, event.at);
      } else if (seen !== i) twice++;
      if (owner.size >= OBJECTS) resolve();
    };
    // Timed out or failed through the first replica; the others' logs are beside it in bench/.work.
    await (processes[0] as EngineProcess).until<void>(
      (resolve) => {
        const stops = processes.map((child, i) => child.onEvent((event) => onEvent(i)(event, resolve)));
        return () => {
          for (const stop of stops) stop();
        };
      },
      `all ${OBJECTS} objects reconciled (by all replicas together)`,
      300_000,
    );
    await sleep(SETTLE_MS);
    const usage = processes.map((child) => child.usage());
    const rss = usage.map((u) => u.rssBytes / 2 ** 20);
    return {
      seconds: (lastAt - startedAt) / 1000,
      rate: OBJECTS / ((lastAt - firstAt) / 1000),
      cpuPer1000: (usage.reduce((sum, u) => sum + u.cpuMs, 0) / OBJECTS) * 1000,
      rssMax: Math.max(...rss),
      rssMean: rss.reduce((sum, r) => sum + r, 0) / rss.length,
      share: (Math.max(...counts) / OBJECTS) * 100,
      twice,
    };
  } finally {
    await Promise.all(processes.map((child) => child.stop()));
  }
}
