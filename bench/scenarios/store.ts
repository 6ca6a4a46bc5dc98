// Scenario 4: the Store across processes. A reader and a writer process run the bench module; the
// writer sets keys (paced, then all at once) and the reader reports each key when its local copy
// shows it: latency from setItem to visible on the other process, and writes/s for the burst.
import { randomBytes } from "node:crypto";
import type { Engine, RunningEngine } from "../engines/engine.ts";
import type { BenchEvent } from "../engines/engine-process.ts";
import { sleep } from "../engines/running-engine.ts";
import { type BenchContext, dropNamespace, freshNamespace, startReady } from "../harness/context.ts";
import { DistributionSet, SampleTable, type ScenarioResult } from "../harness/results.ts";
import { percentile } from "../harness/stats.ts";

const PACED_KEYS = 100;
const PACE_MS = 20;
const BURST_KEYS = 1_000;
const STALL_MS = 30_000;

export async function store(context: BenchContext): Promise<ScenarioResult> {
  const table = new SampleTable();
  const distributions = new DistributionSet();
  for (let round = 1; round <= context.runs; round++) {
    for (const engine of context.engines) {
      const namespace = await freshNamespace(context.client, "bench-store");
      const reader = await startStoreProcess(context, engine, namespace, { BENCH_STORE_ROLE: "reader" });
      try {
        await reader.waitFor("store-ready", "reader", 60_000);
        const paced = await writeAndObserve(context, engine, namespace, reader, PACED_KEYS, PACE_MS);
        const burst = await writeAndObserve(context, engine, namespace, reader, BURST_KEYS, 0);
        distributions.add(engine.name, paced.latencies);
        table.add(engine.name, {
          p50: percentile(paced.latencies, 50),
          p99: percentile(paced.latencies, 99),
          burstP99: percentile(burst.latencies, 99),
          rate: burst.writesPerSecond,
          lost: paced.lost + burst.lost,
        });
        context.log(
          `store round ${round} ${engine.name}: paced p99 ${percentile(paced.latencies, 99).toFixed(0)} ms, ` +
            `burst ${Math.round(burst.writesPerSecond)} writes/s`,
        );
      } finally {
        await reader.stop();
        await dropNamespace(context.client, namespace);
      }
    }
  }
  return {
    id: "store",
    title: "4. Store",
    method:
      `A writer process sets ${PACED_KEYS} keys ${PACE_MS} ms apart, then ${BURST_KEYS.toLocaleString("en")} keys at once; a ` +
      "reader process (subscribed to the capability's Store) reports each key when its local copy shows it. Latency is " +
      "from `setItem` on the writer to visible on the reader (same machine, one clock); writes/s is the burst's keys " +
      "over the time from its first `setItem` to the last key visible on the reader. A key not visible once nothing " +
      `has changed for ${STALL_MS / 1000} s counts as never visible.`,
    metrics: [
      { key: "p50", label: "paced p50", unit: "ms", better: "lower", digits: 1 },
      { key: "p99", label: "paced p99", unit: "ms", better: "lower", digits: 1 },
      { key: "burstP99", label: "burst p99", unit: "ms", better: "lower" },
      { key: "rate", label: "burst writes/s", unit: "", better: "higher" },
      { key: "lost", label: `keys never visible (of ${PACED_KEYS + BURST_KEYS})`, unit: "", better: "lower" },
    ],
    rows: table.rows(),
    distributions: [
      { title: "Store: setItem → visible on another process, paced (ms)", series: distributions.series() },
    ],
    notes: [],
  };
}

function startStoreProcess(
  context: BenchContext,
  engine: Engine,
  namespace: string,
  env: Record<string, string>,
): Promise<RunningEngine> {
  return startReady(context, engine, { namespace, scenario: "store", env });
}

async function writeAndObserve(
  context: BenchContext,
  engine: Engine,
  namespace: string,
  reader: RunningEngine,
  keys: number,
  paceMs: number,
): Promise<{ latencies: number[]; writesPerSecond: number; lost: number }> {
  const run = randomBytes(3).toString("hex");
  const prefix = `k-${run}-`;
  const seen = new Map<string, BenchEvent>();
  let progressAt = Date.now();
  const unsubscribe = reader.onEvent((event) => {
    if (event.event !== "store-seen" || !event.name.startsWith(prefix) || seen.has(event.name)) return;
    seen.set(event.name, event);
    progressAt = Date.now();
  });
  const writer = await startStoreProcess(context, engine, namespace, {
    BENCH_STORE_ROLE: "writer",
    BENCH_STORE_KEYS: String(keys),
    BENCH_STORE_PACE_MS: String(paceMs),
    BENCH_RUN: run,
  });
  const writes = new Map<string, number>();
  writer.onEvent((event) => {
    if (event.event !== "store-write") return;
    writes.set(event.name, event.at);
    progressAt = Date.now();
  });
  try {
    // A key still missing once nothing has happened for STALL_MS is counted as lost, not waited for.
    while (seen.size < keys && Date.now() - progressAt < STALL_MS) await sleep(100);
  } finally {
    unsubscribe();
    await writer.stop();
  }
  const latencies = [...seen].map(([key, event]) => event.at - (writes.get(key) as number));
  const first = Math.min(...writes.values());
  const last = Math.max(...[...seen.values()].map((e) => e.at));
  return { latencies, writesPerSecond: seen.size / ((last - first) / 1000), lost: keys - seen.size };
}
