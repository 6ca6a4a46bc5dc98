// Scenario 7: a sharded controller (issue 18). 6,000 ConfigMaps exist; 1, 2 or 3 controller replicas
// start as host processes (bench/shard/replica.ts), all pinned to the same one CPU so every row has
// the same CPU budget, and reconcile every object once (the callback spends BENCH_WORK_MS of CPU).
// Measured: time until every object was reconciled, reconciles/s, CPU per 1,000 objects summed over
// the replicas, resident memory per replica, and the largest replica's share. Scenario 8, the ring
// simulation at 100 shards × 1,000,000 objects, runs with it (bench/shard/simulate.ts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_HANDOVER_TIMINGS, HashRing, SHARD_LABEL, ShardLease, shardKey } from "../../src/shard/index.ts";
import { type BenchEvent, EngineProcess, now } from "../engines/engine-process.ts";
import { benchPaths } from "../engines/paths.ts";
import { sleep } from "../engines/running-engine.ts";
import { type BenchContext, dropNamespace, freshNamespace, pin } from "../harness/context.ts";
import { configMapRequests, createAll, type TimedCreate } from "../harness/load.ts";
import { SampleTable, type ScenarioResult } from "../harness/results.ts";
import { median, percentile } from "../harness/stats.ts";
import { FULL_SIZE, ringSimulation } from "../shard/simulate.ts";

const OBJECTS = 6_000;
const WORK_MS = 1;
/** Every replica runs on this CPU; the control plane and the harness on the other (when the harness started them). */
const CPU = "1";
const OTHER_CPU = "0";
const ALL_CPUS = "0,1";
const SETTLE_MS = 2_000;
const IDLE_SETTLE_MS = 3_000;
/** Objects changed one at a time after the run, for the change → reconcile latency. */
const CHANGES = 100;
const REPLICA = fileURLToPath(new URL("../shard/replica.ts", import.meta.url));

export async function shard(context: BenchContext): Promise<ScenarioResult[]> {
  const namespace = await freshNamespace(context.client, "bench-shard");
  const table = new SampleTable();
  try {
    context.log(`shard: creating ${OBJECTS} ConfigMaps in ${namespace}`);
    const created = await createAll<{ metadata: { name: string; uid: string } }>(
      context.client,
      configMapRequests(namespace, "obj", OBJECTS),
      20,
    );
    const first = Math.min(...created.map((c) => c.sentAt));
    const last = Math.max(...created.map((c) => c.doneAt));
    const writesPerSecond = OBJECTS / ((last - first) / 1000);
    context.log(`shard: ${writesPerSecond.toFixed(0)} creates/s at 20 in flight`);
    const labels = new Labels(context, namespace, created);
    const patchesPerSecond = await labels.forReplicas(REPLICA_COUNTS[REPLICA_COUNTS.length - 1] as number);
    context.log(`shard: ${patchesPerSecond.toFixed(0)} label patches/s at 20 in flight`);
    const changeLatencies: number[] = [];
    // The replicas have CPU 1 to themselves; the control plane and this harness share CPU 0.
    const pinned = context.controlPlanePids;
    if (pinned) {
      for (const pid of pinned) pin(pid, OTHER_CPU);
      pin(process.pid, OTHER_CPU);
    }
    try {
      for (let round = 1; round <= context.runs; round++) {
        const idle = await idleReplica(context, namespace);
        for (const replicas of REPLICA_COUNTS) {
          if (replicas > 1) await labels.forReplicas(replicas);
          const run = await reconcileAll(context, namespace, replicas, idle, `bench-shard-${replicas}-${round}`);
          changeLatencies.push(run.changeP50);
          table.add(target(replicas), run);
          context.log(
            `shard round ${round}, ${replicas} replica(s): ${run.rate.toFixed(0)} reconciles/s, ` +
              `RSS ${run.rssMax.toFixed(0)} MiB, heap ${run.heapMax.toFixed(1)} MiB max per replica`,
          );
        }
      }
    } finally {
      if (pinned) {
        for (const pid of pinned) pin(pid, ALL_CPUS);
        pin(process.pid, ALL_CPUS);
      }
    }
    const result: ScenarioResult = {
      id: "shard",
      title: "7. Sharded controller",
      method:
        `${OBJECTS.toLocaleString("en")} ConfigMaps (4 keys each) exist. 1, 2 or 3 controller replicas start as host ` +
        `processes (bench/shard/replica.ts), all pinned to CPU ${CPU} (taskset) so every row has the same one core. ` +
        "One replica runs the plain controller role. 2 and 3 run capstan's sharded controller role " +
        "(startShardedControllerRole: shard Lease, leader election, the assigner on the leader with its metadata-only " +
        "informer over every object, each replica's informers selecting its `capstan.dev/shard` label, fencing). " +
        "Before a sharded run every object already carries the label the assigner would give it for that replica " +
        "count (the ring over the replicas' names, keyed as the assigner keys it), as the webhook or a previous " +
        "assigner pass leaves them, and the replicas' shard Leases are live, as after a rolling restart: the assigner " +
        "finds nothing to move, so the row measures the steady state. Each object is reconciled once, the " +
        `callback spending ${WORK_MS} ms of CPU. Time from spawning the replicas to the last object's reconcile; ` +
        "reconciles/s between the first and the last reconcile; CPU time of all replicas per 1,000 objects; resident " +
        `memory of the largest replica ${SETTLE_MS / 1000} s after the last reconcile; its used heap after a full ` +
        "garbage collection (the cache's size without the collector's timing), also less that of an idle replica (the " +
        `same process with a binding that selects no object, ${IDLE_SETTLE_MS / 1000} s after it started); then ${CHANGES} objects changed one at a time: ` +
        "ms from sending the patch to the reconcile on the replica that owns it (p50, p99); the largest replica's " +
        "share of the objects; objects reconciled by more than one replica. Handover (joins, leaves, crashes) is " +
        "measured by the integration test and modelled in scenario 8.",
      metrics: [
        { key: "seconds", label: "all reconciled", unit: "s", better: "lower", digits: 1 },
        { key: "rate", label: "reconciles/s", unit: "", better: "higher" },
        { key: "cpuPer1000", label: "CPU per 1,000 objects", unit: "ms", better: "lower" },
        { key: "rssMax", label: "RSS largest replica", unit: "MiB", better: "lower" },
        { key: "heapMax", label: "heap after GC, largest", unit: "MiB", better: "lower", digits: 1 },
        { key: "heapAbove", label: "heap above idle", unit: "MiB", better: "lower", digits: 1 },
        { key: "changeP50", label: "change → reconcile p50", unit: "ms", better: "lower", digits: 1 },
        { key: "changeP99", label: "change → reconcile p99", unit: "ms", better: "lower", digits: 1 },
        { key: "share", label: "largest share", unit: "%", better: "lower", digits: 1 },
        { key: "twice", label: "reconciled twice", unit: "", better: "lower" },
      ],
      rows: table.rows(),
      distributions: [],
      notes: [
        `${context.controlPlanePids ? `The control plane (kube-apiserver, etcd) and the harness were pinned to CPU ${OTHER_CPU} while the replicas ran` : "The control plane was not started by the harness (--kubeconfig) and not pinned"}; ` +
          `it created the ${OBJECTS.toLocaleString("en")} objects at ${writesPerSecond.toFixed(0)}/s with 20 requests in flight.`,
      ],
    };
    return [
      result,
      ringSimulation(FULL_SIZE, context.log, {
        ...DEFAULT_HANDOVER_TIMINGS,
        patchesPerSecond,
        watchDelayMs: Math.max(0, median(changeLatencies) - WORK_MS),
      }),
    ];
  } finally {
    await dropNamespace(context.client, namespace);
  }
}

const REPLICA_COUNTS = [1, 2, 3];
const CONFIGMAP = { group: "", kind: "ConfigMap" };
const shardName = (index: number) => `replica-${index}`;

function target(replicas: number): string {
  return replicas === 1 ? "capstan, 1 replica" : `capstan, ${replicas} replicas, sharded`;
}

/** Puts every object on the shard the assigner would pick for a replica count, patching only objects that move. */
class Labels {
  readonly #current = new Map<string, string>();

  readonly context: BenchContext;
  readonly namespace: string;
  readonly created: readonly TimedCreate<{ metadata: { name: string; uid: string } }>[];

  constructor(
    context: BenchContext,
    namespace: string,
    created: readonly TimedCreate<{ metadata: { name: string; uid: string } }>[],
  ) {
    this.context = context;
    this.namespace = namespace;
    this.created = created;
  }

  /** Returns the label patches per second (of those sent). */
  async forReplicas(replicas: number): Promise<number> {
    const ring = new HashRing();
    for (let i = 0; i < replicas; i++) ring.add(shardName(i));
    const moves = this.created
      .map(({ created }) => ({
        name: created.metadata.name,
        shard: ring.owner(shardKey(created, CONFIGMAP) ?? "") ?? "",
      }))
      .filter(({ name, shard }) => this.#current.get(name) !== shard);
    let next = 0;
    const startedAt = now();
    const worker = async () => {
      while (next < moves.length) {
        const { name, shard } = moves[next++] as (typeof moves)[number];
        await this.context.client.request({
          method: "PATCH",
          path: `/api/v1/namespaces/${this.namespace}/configmaps/${name}`,
          contentType: "application/merge-patch+json",
          body: { metadata: { labels: { [SHARD_LABEL]: shard } } },
        });
        this.#current.set(name, shard);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    return moves.length / ((now() - startedAt) / 1000);
  }
}

interface ReplicaRun extends Record<string, number> {
  readonly changeP50: number;
  readonly changeP99: number;
  readonly heapMax: number;
  readonly heapAbove: number;
  readonly seconds: number;
  readonly rate: number;
  readonly cpuPer1000: number;
  readonly rssMax: number;
  readonly share: number;
  readonly twice: number;
}

function spawnReplica(
  context: BenchContext,
  namespace: string,
  index: number,
  selection:
    | { readonly prefix: string; readonly shard: string }
    | { readonly label: string; readonly shard: string }
    | undefined,
): EngineProcess {
  const logs = join(benchPaths.work, "shard");
  mkdirSync(logs, { recursive: true });
  const child = new EngineProcess({
    label: `shard replica ${index}`,
    command: process.execPath,
    args: ["--expose-gc", REPLICA],
    env: {
      ...process.env,
      KUBECONFIG: context.kubeconfig,
      BENCH_NAMESPACE: namespace,
      BENCH_WORK_MS: String(WORK_MS),
      ...(selection && "prefix" in selection
        ? { BENCH_SHARD_PREFIX: selection.prefix, BENCH_SHARD: selection.shard }
        : {}),
      ...(selection && "label" in selection
        ? { BENCH_SHARD_LABEL: selection.label, BENCH_SHARD: selection.shard }
        : {}),
    },
    logFile: join(logs, `replica-${index}.log`),
  });
  pin(child.pid, CPU);
  return child;
}

/**
 * One object changed at a time (CHANGES of them): ms from sending the patch to its reconcile on
 * whichever replica owns it. The W + T of the handover model, as this machine gives them.
 */
async function changeToReconcile(
  context: BenchContext,
  namespace: string,
  processes: readonly EngineProcess[],
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const name = `obj-${i}`;
    const sentAt = now();
    const reconciled = (processes[0] as EngineProcess).until<number>(
      (resolve) => {
        const stops = processes.map((child) =>
          child.onEvent((event) => {
            if (event.event === "reconciled" && event.name === name && event.at > sentAt) resolve(event.at);
          }),
        );
        return () => {
          for (const stop of stops) stop();
        };
      },
      `the reconcile of changed ${name}`,
      30_000,
    );
    await context.client.request({
      method: "PATCH",
      path: `/api/v1/namespaces/${namespace}/configmaps/${name}`,
      contentType: "application/merge-patch+json",
      body: { data: { "key-0": `changed-${sentAt}` } },
    });
    latencies.push((await reconciled) - sentAt);
  }
  return latencies;
}

/** Used heap (MiB) after a full collection, as the replica reports it on SIGUSR2. */
async function heapAfterGc(child: EngineProcess): Promise<number> {
  process.kill(child.pid, "SIGUSR2");
  return Number((await child.waitFor("heap", undefined, 30_000)).name) / 2 ** 20;
}

/** Used heap (MiB) after GC of a replica whose binding selects no object: the floor under every cache. */
async function idleReplica(context: BenchContext, namespace: string): Promise<number> {
  const child = spawnReplica(context, namespace, 0, { label: SHARD_LABEL, shard: "none" });
  try {
    await child.waitFor("started");
    await sleep(IDLE_SETTLE_MS);
    return await heapAfterGc(child);
  } finally {
    await child.stop();
  }
}

async function reconcileAll(
  context: BenchContext,
  namespace: string,
  replicas: number,
  idleHeap: number,
  prefix: string,
): Promise<ReplicaRun> {
  if (replicas > 1) {
    // Every member live before any replica starts, so the leader's first ring is the whole one.
    for (let i = 0; i < replicas; i++) {
      const lease = new ShardLease(context.client, { namespace, prefix, id: shardName(i) });
      await lease.join();
      lease.abandon();
    }
  }
  const startedAt = now();
  const processes = Array.from({ length: replicas }, (_, i) =>
    spawnReplica(context, namespace, i, replicas > 1 ? { prefix, shard: shardName(i) } : undefined),
  );
  try {
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
    const heaps = await Promise.all(processes.map(heapAfterGc));
    const latencies = await changeToReconcile(context, namespace, processes);
    return {
      changeP50: percentile(latencies, 50),
      changeP99: percentile(latencies, 99),
      heapMax: Math.max(...heaps),
      heapAbove: Math.max(...heaps) - idleHeap,
      seconds: (lastAt - startedAt) / 1000,
      rate: OBJECTS / ((lastAt - firstAt) / 1000),
      cpuPer1000: (usage.reduce((sum, u) => sum + u.cpuMs, 0) / OBJECTS) * 1000,
      rssMax: Math.max(...rss),
      share: (Math.max(...counts) / OBJECTS) * 100,
      twice,
    };
  } finally {
    await Promise.all(processes.map((child) => child.stop()));
  }
}
