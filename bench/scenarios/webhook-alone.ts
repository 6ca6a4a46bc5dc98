// Scenario 1: the webhook server alone. A ~10 KB Pod AdmissionReview is posted straight to each
// server (autocannon, keep-alive, fixed connections) with the servers pinned to CPU 0 and the load
// generator to CPU 1. Targets take turns round after round so background noise spreads over all.
import autocannon from "autocannon";
import { podReview } from "../admission/fixture.ts";
import { bareNames, startBareServer } from "../engines/bare.ts";
import type { RunningEngine } from "../engines/engine.ts";
import { type BenchContext, pin, startReady } from "../harness/context.ts";
import { type Distribution, SampleTable, type ScenarioResult } from "../harness/results.ts";
import { median } from "../harness/stats.ts";
import { turnOrder } from "../harness/turns.ts";

const DURATION_S = 5;
const CONNECTIONS = 10;
const NAMESPACE = "bench";
/** The fractions of the latency percentiles taken from autocannon (min, p2.5 … p99.9). */
const AUTOCANNON_QUANTILES = [0, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.99, 0.999];

interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly usage: () => { rssBytes: number; peakRssBytes: number; cpuMs: number };
}

export async function webhookAlone(context: BenchContext): Promise<ScenarioResult> {
  const body = JSON.stringify(podReview());
  const stops: (() => Promise<void>)[] = [];
  const targets: Target[] = [];
  try {
    for (const kind of ["bare-allow", "bare-patch"] as const) {
      const bare = await startBareServer(kind);
      stops.push(() => bare.stop());
      targets.push({ name: bareNames[kind], url: bare.url, pid: bare.pid, usage: () => bare.usage() });
    }
    for (const engine of context.engines) {
      const running = await startReady(context, engine, { namespace: NAMESPACE, scenario: "admission" });
      stops.push(() => running.stop());
      targets.push(engineTarget(`${engine.name} /mutate`, running.mutateUrl, running));
      targets.push(engineTarget(`${engine.name} /validate`, running.validateUrl, running));
    }
    for (const target of targets) pin(target.pid, "0");
    pin(process.pid, "1");

    const table = new SampleTable();
    const percentiles = new Map<string, number[][]>();
    for (let round = 0; round <= context.runs; round++) {
      for (const target of turnOrder(targets, round)) {
        const before = target.usage();
        const result = await autocannon({
          url: target.url,
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
          connections: CONNECTIONS,
          duration: round === 0 ? 2 : DURATION_S,
        });
        if (round === 0) continue;
        const after = target.usage();
        const failures = result.errors + result.timeouts + result.non2xx;
        if (failures > result.requests.total / 100) {
          throw new Error(`${target.name}: ${failures} of ${result.requests.total} requests failed`);
        }
        const seconds = DURATION_S;
        table.add(target.name, {
          rps: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          cpu: (after.cpuMs - before.cpuMs) / (seconds * 10),
          rss: after.rssBytes / 2 ** 20,
          failures,
        });
        const l = result.latency;
        const list = percentiles.get(target.name) ?? [];
        list.push([l.min, l.p2_5, l.p10, l.p25, l.p50, l.p75, l.p90, l.p97_5, l.p99, l.p99_9]);
        percentiles.set(target.name, list);
        context.log(`webhook-alone round ${round} ${target.name}: ${Math.round(result.requests.average)} req/s`);
      }
    }
    const mutateOnly: Distribution[] = [...percentiles]
      .filter(([target]) => !target.includes("/validate"))
      .map(([target, rounds]) => ({
        target,
        quantiles: AUTOCANNON_QUANTILES.map((quantile, i) => ({
          quantile,
          latencyMs: Math.max(median(rounds.map((r) => r[i] as number)), 0.05),
        })),
      }));
    return {
      id: "webhook-alone",
      title: "1. Webhook server alone",
      method:
        `A ${Buffer.byteLength(body).toLocaleString("en")}-byte Pod CREATE AdmissionReview posted straight to each server over HTTPS ` +
        `(autocannon, ${CONNECTIONS} keep-alive connections, ${DURATION_S} s per run after a 2 s warm-up); servers pinned to CPU 0, ` +
        "the load generator to CPU 1; targets take turns run after run, each round starting one target later. Engines run the bench module (one Mutate and one " +
        "Validate binding on Pods) at log level info. CPU is the server process's CPU time over the run (100% = one core); " +
        "RSS is the server's resident memory after the run.",
      metrics: [
        { key: "rps", label: "req/s", unit: "", better: "higher" },
        { key: "p50", label: "p50", unit: "ms", better: "lower", digits: 1 },
        { key: "p99", label: "p99", unit: "ms", better: "lower", digits: 1 },
        { key: "cpu", label: "CPU", unit: "%", better: "lower" },
        { key: "rss", label: "RSS", unit: "MiB", better: "lower" },
      ],
      rows: table.rows(),
      distributions: [{ title: "Webhook alone: /mutate latency percentiles (ms)", series: mutateOnly }],
      notes: [],
    };
  } finally {
    pin(process.pid, "0,1");
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

function engineTarget(name: string, url: string, running: RunningEngine): Target {
  return { name, url, pid: running.pid, usage: () => running.usage() };
}
