// Scenario 3: Watch. (a) A burst of ConfigMaps created while the engine watches: time from each
// create request to its Watch callback, and events/s. (b) Memory after caching 10,000 ConfigMaps
// with 1 and with 5 Watch bindings on the kind, against the same engine watching an empty namespace.

import { NotFoundError } from "../../src/k8s/errors.ts";
import { BARE_WATCH, bareWatchEngine } from "../engines/bare-watch.ts";
import type { Engine, RunningEngine } from "../engines/engine.ts";
import type { BenchEvent } from "../engines/engine-process.ts";
import { sleep } from "../engines/running-engine.ts";
import {
  type BenchContext,
  dropNamespace,
  ensureNamespace,
  freshNamespace,
  pin,
  pinTree,
  startReady,
} from "../harness/context.ts";
import { configMapRequests, createAll } from "../harness/load.ts";
import { DistributionSet, SampleTable, type ScenarioResult } from "../harness/results.ts";
import { median, percentile } from "../harness/stats.ts";
import { turnOrder } from "../harness/turns.ts";

const BURST = 300;
const CONCURRENCY = 10;
export const CACHE_OBJECTS = 10_000;
export const CACHE_NAMESPACE = "bench-cache";
const SETTLE_MS = 3_000;

export async function watch(context: BenchContext): Promise<ScenarioResult> {
  const table = new SampleTable();
  const distributions = new DistributionSet();
  // An engine that watches cluster-wide also caches other namespaces' ConfigMaps, so the bursts and
  // the empty-namespace baselines run before the 10,000 objects exist, and those go at the end.
  await deleteNamespaceAndWait(context, CACHE_NAMESPACE);
  const baselines = new Map<string, number[]>();
  for (let round = 1; round <= context.runs; round++) {
    for (const engine of turnOrder([...context.engines, bareWatchEngine], round)) {
      const burst = await watchBurst(context, engine);
      distributions.add(engine.name, burst.latencies);
      table.add(engine.name, {
        p50: percentile(burst.latencies, 50),
        p99: percentile(burst.latencies, 99),
        rate: burst.eventsPerSecond,
        rtt50: percentile(burst.roundTrips, 50),
        rtt99: percentile(burst.roundTrips, 99),
      });
      context.log(`watch round ${round} ${engine.name}: burst p50 ${percentile(burst.latencies, 50).toFixed(1)} ms`);
      if (engine === bareWatchEngine) continue;
      const empty = await cachedMemory(context, engine, await freshNamespace(context.client, "bench-empty"), 1, 0);
      baselines.set(engine.name, [...(baselines.get(engine.name) ?? []), empty.rssBytes]);
    }
  }
  await fillCacheNamespace(context);
  try {
    for (let round = 1; round <= context.runs; round++) {
      for (const engine of context.engines) {
        const empty = median(baselines.get(engine.name) ?? []);
        const one = await cachedMemory(context, engine, CACHE_NAMESPACE, 1, CACHE_OBJECTS);
        const five = await cachedMemory(context, engine, CACHE_NAMESPACE, 5, CACHE_OBJECTS);
        table.add(engine.name, {
          rss1: one.rssBytes / 2 ** 20,
          rss5: five.rssBytes / 2 ** 20,
          perObject1: (one.rssBytes - empty) / CACHE_OBJECTS / 1024,
          perObject5: (five.rssBytes - empty) / CACHE_OBJECTS / 1024,
        });
        context.log(
          `watch round ${round} ${engine.name}: RSS ${(one.rssBytes / 2 ** 20).toFixed(0)} / ${(five.rssBytes / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }
  } finally {
    await deleteNamespaceAndWait(context, CACHE_NAMESPACE);
  }
  return {
    id: "watch",
    title: "3. Watch",
    method:
      `(a) ${BURST} ConfigMaps created ${CONCURRENCY} at a time in a namespace the engine watches (one Watch binding): ` +
      "latency from sending each create to its Watch callback, and events/s from the first create to the last callback; " +
      `"${BARE_WATCH}" is the floor (a LIST, then one raw watch stream split into lines and parsed, no cache or queue), ` +
      "and create RTT is each create's own round trip during that target's burst. " +
      (context.controlPlanePids
        ? "During a burst the watcher (its whole process tree) has CPU 1 to itself and the API server, etcd, the " +
          "controller manager and the load generator share CPU 0, so every watcher gets the same CPU and the same " +
          "API server. "
        : "Not pinned: the control plane was given with --kubeconfig, so its processes are unknown. ") +
      `(b) Resident memory ${SETTLE_MS / 1000} s after the Watch callback has seen all ${CACHE_OBJECTS.toLocaleString("en")} ` +
      "existing ConfigMaps (4 keys each), with 1 and with 5 Watch bindings on ConfigMaps; per object = (that RSS − median " +
      "RSS of the same engine watching an empty namespace while the 10,000 did not exist) / objects.",
    metrics: [
      { key: "p50", label: "burst p50", unit: "ms", better: "lower", digits: 1 },
      { key: "p99", label: "burst p99", unit: "ms", better: "lower", digits: 1 },
      { key: "rate", label: "events/s", unit: "", better: "higher" },
      { key: "rtt50", label: "create RTT p50", unit: "ms", better: "lower", digits: 1 },
      { key: "rtt99", label: "create RTT p99", unit: "ms", better: "lower", digits: 1 },
      { key: "rss1", label: "RSS 10k, 1 binding", unit: "MiB", better: "lower" },
      { key: "rss5", label: "RSS 10k, 5 bindings", unit: "MiB", better: "lower" },
      { key: "perObject1", label: "per object, 1 binding", unit: "KiB", better: "lower", digits: 2 },
      { key: "perObject5", label: "per object, 5 bindings", unit: "KiB", better: "lower", digits: 2 },
    ],
    rows: table.rows(),
    distributions: [{ title: "Watch: create → Watch callback (ms)", series: distributions.series() }],
    notes: [],
  };
}

async function deleteNamespaceAndWait(context: BenchContext, name: string): Promise<void> {
  await dropNamespace(context.client, name);
  for (let waited = 0; waited < 300_000; waited += 500) {
    try {
      await context.client.request({ method: "GET", path: `/api/v1/namespaces/${name}` });
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
    await sleep(500);
  }
  throw new Error(`namespace ${name} was not deleted within 5 min`);
}

async function fillCacheNamespace(context: BenchContext): Promise<void> {
  await ensureNamespace(context.client, CACHE_NAMESPACE);
  const list = await context.client.request<{ items: unknown[] }>({
    method: "GET",
    path: `/api/v1/namespaces/${CACHE_NAMESPACE}/configmaps?labelSelector=app%3Dbench`,
  });
  if (list.items.length >= CACHE_OBJECTS) return;
  context.log(`watch: creating ${CACHE_OBJECTS} ConfigMaps in ${CACHE_NAMESPACE}`);
  await createAll(context.client, configMapRequests(CACHE_NAMESPACE, "cached", CACHE_OBJECTS), 20);
}

function startWatching(context: BenchContext, engine: Engine, namespace: string, bindings: number) {
  return startReady(context, engine, {
    namespace,
    scenario: "watch",
    env: { BENCH_WATCH_BINDINGS: String(bindings) },
  });
}

/** Resolves once `count` distinct objects named `prefix…` have reached the Watch callback. */
export function seenAll(
  running: RunningEngine,
  prefix: string,
  count: number,
  timeoutMs: number,
): Promise<Map<string, BenchEvent>> {
  const seen = new Map<string, BenchEvent>();
  let settled = false;
  let stop: (() => void) | undefined;
  const done = new Promise<Map<string, BenchEvent>>((resolve, reject) => {
    const timer = setTimeout(() => {
      settled = true;
      stop?.();
      reject(new Error(`only ${seen.size} of ${count} objects reached the Watch callback in ${timeoutMs} ms`));
    }, timeoutMs);
    // Replayed events may complete the count while subscribing.
    stop = running.onEvent((event) => {
      if (settled || event.event !== "watch" || !event.name.startsWith(prefix) || seen.has(event.name)) return;
      seen.set(event.name, event);
      if (seen.size < count) return;
      settled = true;
      clearTimeout(timer);
      stop?.();
      resolve(seen);
    });
    if (settled) stop();
  });
  return done;
}

async function watchBurst(
  context: BenchContext,
  engine: Engine,
): Promise<{ latencies: number[]; eventsPerSecond: number; roundTrips: number[] }> {
  const namespace = await freshNamespace(context.client, "bench-watch");
  const running = await startWatching(context, engine, namespace, 1);
  const pinned = context.controlPlanePids;
  try {
    if (pinned) {
      pinTree(running.pid, "1");
      for (const pid of pinned) pin(pid, "0");
      pin(process.pid, "0");
    }
    // The watch is established once an object created now reaches the callback.
    const sentinel = running.waitFor("watch", "sentinel-0", 60_000);
    await createAll(context.client, configMapRequests(namespace, "sentinel", 1), 1);
    await sentinel;
    const events = seenAll(running, "burst-", BURST, 120_000);
    const created = await createAll(context.client, configMapRequests(namespace, "burst", BURST), CONCURRENCY);
    const seen = await events;
    const latencies = created.map((c) => (seen.get(c.name) as BenchEvent).at - c.sentAt);
    const first = Math.min(...created.map((c) => c.sentAt));
    const last = Math.max(...created.map((c) => (seen.get(c.name) as BenchEvent).at));
    return {
      latencies,
      eventsPerSecond: BURST / ((last - first) / 1000),
      roundTrips: created.map((c) => c.doneAt - c.sentAt),
    };
  } finally {
    if (pinned) {
      for (const pid of pinned) pin(pid, "0,1");
      pin(process.pid, "0,1");
    }
    await running.stop();
    // Waited for: deleting the burst's 301 ConfigMaps otherwise loads the API server and etcd during the next target's burst.
    await deleteNamespaceAndWait(context, namespace);
  }
}

async function cachedMemory(
  context: BenchContext,
  engine: Engine,
  namespace: string,
  bindings: number,
  objects: number,
): Promise<{ rssBytes: number; syncMs: number }> {
  const running = await startWatching(context, engine, namespace, bindings);
  try {
    const synced = objects > 0 ? await seenAll(running, "cached-", objects, 300_000) : new Map<string, BenchEvent>();
    const last = Math.max(running.spawnedAt, ...[...synced.values()].map((e) => e.at));
    await sleep(SETTLE_MS);
    return { rssBytes: running.usage().rssBytes, syncMs: last - running.spawnedAt };
  } finally {
    await running.stop();
    if (objects === 0) await dropNamespace(context.client, namespace);
  }
}
