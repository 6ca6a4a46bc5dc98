// Scenario 2: creates through the API server with the engine's webhooks registered (its dev mode's
// registration, pointing at 127.0.0.1), against the same creates with no webhook at all.
import { bareWebhookEngine } from "../engines/bare.ts";
import { type BenchContext, dropNamespace, freshNamespace, startReady } from "../harness/context.ts";
import { configMapRequests, createAll, podRequests } from "../harness/load.ts";
import { DistributionSet, SampleTable, type ScenarioResult } from "../harness/results.ts";
import { percentile } from "../harness/stats.ts";
import { turnOrder } from "../harness/turns.ts";

const PER_KIND = 150;
/** Creates in flight: a moderate load the two cores absorb, and one that saturates them. */
const MODERATE = 4;
const SATURATING = 16;
const BASELINE = "no webhook";

interface Created {
  readonly kind?: string;
  readonly metadata: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
}

export async function throughApiServer(context: BenchContext): Promise<ScenarioResult> {
  const table = new SampleTable();
  const distributions = new DistributionSet();
  const engines = [bareWebhookEngine, ...context.engines];
  const targets = [BASELINE, ...engines.map((e) => e.name)];
  for (let round = 0; round <= context.runs; round++) {
    for (const target of turnOrder(targets, round)) {
      const namespace = await freshNamespace(context.client, "bench-api");
      const engine = engines.find((e) => e.name === target);
      const running = engine
        ? await startReady(context, engine, { namespace, scenario: "admission", registerWebhooks: true })
        : undefined;
      try {
        // Warm-up creates (connections, webhook TLS sessions) are not counted.
        await createAll(context.client, configMapRequests(namespace, "warm", 20), MODERATE);
        if (round === 0) continue;
        const moderate = await timedCreates(context, namespace, "m", MODERATE, running !== undefined, target);
        const saturating = await timedCreates(context, namespace, "s", SATURATING, running !== undefined, target);
        table.add(target, {
          rate: moderate.rate,
          p50: percentile(moderate.latencies, 50),
          p99: percentile(moderate.latencies, 99),
          rateSaturated: saturating.rate,
          p99Saturated: percentile(saturating.latencies, 99),
        });
        distributions.add(target, moderate.latencies);
        context.log(
          `through-api-server round ${round} ${target}: ${Math.round(moderate.rate)} / ${Math.round(saturating.rate)} creates/s`,
        );
      } finally {
        await running?.stop();
        await dropNamespace(context.client, namespace);
      }
    }
  }
  return {
    id: "through-api-server",
    title: "2. Through the API server",
    method:
      `${PER_KIND} ConfigMaps and ${PER_KIND} Pods created alternately in a fresh namespace, ${MODERATE} in flight ` +
      `(then again with ${SATURATING} in flight, which saturates the two cores), ` +
      "with the engine's mutating and validating webhooks registered by the engine itself (as its dev mode does, calling " +
      "127.0.0.1), against the same creates with no webhook and with the bare clone + label + diff server registered as " +
      "both webhooks (the least a Node webhook costs here). Every created object is checked for the mutation. " +
      "Latency is the client's create round trip.",
    metrics: [
      { key: "rate", label: `creates/s, ${MODERATE} in flight`, unit: "", better: "higher" },
      { key: "p50", label: "p50", unit: "ms", better: "lower", digits: 1 },
      { key: "p99", label: "p99", unit: "ms", better: "lower", digits: 1 },
      { key: "rateSaturated", label: `creates/s, ${SATURATING} in flight`, unit: "", better: "higher" },
      { key: "p99Saturated", label: "p99", unit: "ms", better: "lower", digits: 1 },
    ],
    rows: table.rows(),
    distributions: [
      { title: `Create through the API server, ${MODERATE} in flight: latency (ms)`, series: distributions.series() },
    ],
    notes: [],
  };
}

async function timedCreates(
  context: BenchContext,
  namespace: string,
  prefix: string,
  concurrency: number,
  webhooks: boolean,
  target: string,
): Promise<{ rate: number; latencies: number[] }> {
  const requests = interleave(
    configMapRequests(namespace, `${prefix}-cm`, PER_KIND),
    podRequests(namespace, `${prefix}-pod`, PER_KIND),
  );
  const started = performance.now();
  const created = await createAll<Created>(context.client, requests, concurrency);
  const seconds = (performance.now() - started) / 1000;
  if (webhooks) assertMutated(target, created);
  return { rate: created.length / seconds, latencies: created.map((c) => c.doneAt - c.sentAt) };
}

function interleave<T>(first: readonly T[], second: readonly T[]): T[] {
  return first.flatMap((item, index) => (index < second.length ? [item, second[index] as T] : [item]));
}

/** A run where the webhooks were not called would measure nothing: every object must carry the mutation. */
function assertMutated(target: string, created: readonly { name: string; created: Created }[]): void {
  const missed = created.filter(
    ({ created: object }) =>
      object.metadata.labels?.bench !== "yes" && object.metadata.annotations?.["bench/seen"] !== "yes",
  );
  if (missed.length > 0) {
    throw new Error(
      `${target}: ${missed.length} objects were created without the mutation (first: ${missed[0]?.name})`,
    );
  }
}
