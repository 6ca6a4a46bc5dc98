// Scenario 10 (issue 16): the background audit. A namespace holds 10,000 ConfigMaps; the bench module
// has 5 Validate rules and a Watch binding on them (so it caches ConfigMaps either way). Each run
// starts it twice, without and with `audit`: the time from spawn until every object has its report,
// then CPU and memory at rest. capstan only (Pepr has no audit).
import type { RunningEngine } from "../engines/engine.ts";
import { sleep } from "../engines/running-engine.ts";
import { type BenchContext, dropNamespace, freePort, freshNamespace } from "../harness/context.ts";
import { configMapRequests, createAll } from "../harness/load.ts";
import { SampleTable, type ScenarioResult } from "../harness/results.ts";

const OBJECTS = 10_000;
const REST_MS = 10_000;
/** A round writes 10,000 objects and starts the module twice (about 4 minutes): at most this many rounds. */
const MAX_ROUNDS = 3;
export const AUDIT_TARGETS = { off: "capstan, no audit", on: "capstan, audit (5 rules)" } as const;

async function reportCount(context: BenchContext, namespace: string): Promise<number> {
  const list = await context.client
    .request<{ items: unknown[] }>({ path: `/apis/openreports.io/v1alpha1/namespaces/${namespace}/reports` })
    .catch(() => ({ items: [] }));
  return list.items.length;
}

async function atRest(running: RunningEngine): Promise<{ cpu: number; rss: number; heap: number }> {
  const before = running.usage();
  await sleep(REST_MS);
  const after = running.usage();
  const heap = running.waitFor("heap", "audit", 30_000);
  process.kill(running.pid, "SIGUSR2");
  const { heap: bytes } = (await heap) as unknown as { heap: number };
  return { cpu: (after.cpuMs - before.cpuMs) / (REST_MS / 100), rss: after.rssBytes / 2 ** 20, heap: bytes / 2 ** 20 };
}

export async function audit(context: BenchContext): Promise<ScenarioResult> {
  const engine = context.engines.find((candidate) => candidate.name === "capstan");
  const table = new SampleTable();
  if (!engine) throw new Error("the audit scenario runs capstan: add it to --engines");
  // A fresh namespace of objects each round: deleting 10,000 reports between runs takes longer than
  // writing them, and a report left from the last run would count as written at once.
  const rounds = Math.min(context.runs, MAX_ROUNDS);
  for (let round = 1; round <= rounds; round++) {
    const namespace = await freshNamespace(context.client, "bench-audit");
    try {
      await createAll(context.client, configMapRequests(namespace, "audited", OBJECTS), 32);
      for (const on of [false, true]) {
        const running = await engine.start({
          kubeconfig: context.kubeconfig,
          namespace,
          scenario: "audit",
          port: await freePort(),
          registerWebhooks: false,
          env: { BENCH_AUDIT: on ? "1" : "0", NODE_OPTIONS: "--expose-gc" },
        });
        try {
          await running.ready();
          let ready = 0;
          if (on) {
            while ((await reportCount(context, namespace)) < OBJECTS) {
              if (Date.now() - running.spawnedAt > 300_000) throw new Error("the audit did not finish within 300 s");
              await sleep(250);
            }
            ready = Date.now() - running.spawnedAt;
          }
          const rest = await atRest(running);
          table.add(on ? AUDIT_TARGETS.on : AUDIT_TARGETS.off, {
            ...(on ? { ready: ready / 1000 } : {}),
            cpu: rest.cpu,
            rss: rest.rss,
            heap: rest.heap,
          });
          context.log(
            `audit round ${round} ${on ? "on" : "off"}: ${on ? `all reports ${(ready / 1000).toFixed(1)} s, ` : ""}CPU ${rest.cpu.toFixed(1)} %, RSS ${rest.rss.toFixed(0)} MiB, heap after GC ${rest.heap.toFixed(1)} MiB`,
          );
        } finally {
          await running.stop();
        }
      }
    } finally {
      await dropNamespace(context.client, namespace);
    }
  }
  return {
    id: "audit",
    title: "10. Background audit",
    method:
      `A namespace holding ${OBJECTS.toLocaleString("en")} ConfigMaps (4 keys each); the bench module with 5 Validate rules and ` +
      "one Watch binding on them, under capstan's dev runtime, started without and with `audit: true`: the time from " +
      `spawning the process until every ConfigMap has its OpenReports report (counted by LIST every 250 ms), then the process's CPU over ${REST_MS / 1000} s at rest, its RSS after it, and the heap it keeps after a full collection (the module calls gc() on SIGUSR2). ` +
      `Each round has a fresh namespace, so the audited start writes every report; ${MAX_ROUNDS} rounds at most (fewer when --runs says so).`,
    metrics: [
      { key: "ready", label: `to ${OBJECTS.toLocaleString("en")} reports`, unit: "s", better: "lower" },
      { key: "cpu", label: "CPU at rest", unit: "%", better: "lower" },
      { key: "rss", label: "RSS at rest", unit: "MiB", better: "lower" },
      { key: "heap", label: "heap after a full GC", unit: "MiB", better: "lower" },
    ],
    rows: table.rows(),
    distributions: [],
    notes: [],
  };
}
