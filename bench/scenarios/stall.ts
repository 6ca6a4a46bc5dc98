// Scenario 6: a Watch burst through a stalled event loop. After a third of the burst has been
// created, the engine process's event loop is blocked for STALL_MS (the bench module busy-loops on
// SIGUSR2, as a callback doing synchronous work would); creates go on meanwhile. Reports the objects
// whose event never reached the Watch callback (waiting up to WAIT_MS after the last create), and the
// recovery time: from the end of the stall until every object created up to then had been delivered.
import type { Engine } from "../engines/engine.ts";
import { now } from "../engines/engine-process.ts";
import { sleep } from "../engines/running-engine.ts";
import { type BenchContext, dropNamespace, freshNamespace, startReady } from "../harness/context.ts";
import { configMapRequests, createAll } from "../harness/load.ts";
import { SampleTable, type ScenarioResult } from "../harness/results.ts";

const BURST = 300;
const CONCURRENCY = 10;
const STALL_MS = 3_000;
const WAIT_MS = 30_000;
const PREFIX = "stall-";

export async function stall(context: BenchContext): Promise<ScenarioResult> {
  const table = new SampleTable();
  const notes: string[] = [];
  for (let round = 1; round <= context.runs; round++) {
    for (const engine of context.engines) {
      const result = await stalledBurst(context, engine);
      table.add(engine.name, {
        lost: result.lost,
        ...(result.recoveryMs === undefined ? {} : { recovery: result.recoveryMs }),
      });
      if (result.recoveryMs === undefined) {
        notes.push(`${engine.name}, run ${round}: ${result.lost} objects never reached the callback (no recovery).`);
      }
      context.log(
        `stall round ${round} ${engine.name}: ${result.lost} lost, recovery ${result.recoveryMs?.toFixed(0) ?? "never"} ms`,
      );
    }
  }
  return {
    id: "stall",
    title: "6. Watch through a stalled event loop",
    method:
      `${BURST} ConfigMaps created ${CONCURRENCY} at a time in a namespace the engine watches (one Watch binding); after ` +
      `the first ${BURST / 3}, the engine's event loop is blocked for ${STALL_MS / 1000} s (the bench module busy-loops on ` +
      "SIGUSR2) while the creates go on. Lost: objects whose event had not reached the Watch callback " +
      `${WAIT_MS / 1000} s after the last create. Recovery: from the end of the stall until every object created up to ` +
      "then had reached the callback (runs that lost objects have none).",
    metrics: [
      { key: "lost", label: `objects lost (of ${BURST})`, unit: "", better: "lower" },
      { key: "recovery", label: "recovery", unit: "ms", better: "lower" },
    ],
    rows: table.rows(),
    distributions: [],
    notes,
  };
}

async function stalledBurst(
  context: BenchContext,
  engine: Engine,
): Promise<{ lost: number; recoveryMs: number | undefined }> {
  const namespace = await freshNamespace(context.client, "bench-stall");
  const running = await startReady(context, engine, {
    namespace,
    scenario: "watch",
    env: { BENCH_WATCH_BINDINGS: "1", BENCH_STALL_MS: String(STALL_MS) },
  });
  try {
    // The watch is established once an object created now reaches the callback.
    const sentinel = running.waitFor("watch", "sentinel-0", 60_000);
    await createAll(context.client, configMapRequests(namespace, "sentinel", 1), 1);
    await sentinel;
    const seen = new Map<string, number>();
    const unsubscribe = running.onEvent((event) => {
      if (event.event === "watch" && event.name.startsWith(PREFIX) && !seen.has(event.name)) {
        seen.set(event.name, event.at);
      }
    });
    const stallEnded = running.waitFor("stall-end", undefined, 60_000);
    const requests = configMapRequests(namespace, PREFIX.slice(0, -1), BURST);
    const before = await createAll(context.client, requests.slice(0, BURST / 3), CONCURRENCY);
    process.kill(running.pid, "SIGUSR2");
    const during = await createAll(context.client, requests.slice(BURST / 3), CONCURRENCY);
    const ended = (await stallEnded).at;
    const deadline = now() + WAIT_MS;
    while (seen.size < BURST && now() < deadline) await sleep(100);
    unsubscribe();
    const created = [...before, ...during];
    const lost = created.filter((c) => !seen.has(c.name)).length;
    const due = created.filter((c) => c.sentAt <= ended);
    const recoveryMs = due.every((c) => seen.has(c.name))
      ? Math.max(0, ...due.map((c) => (seen.get(c.name) as number) - ended))
      : undefined;
    return { lost, recoveryMs };
  } finally {
    await running.stop();
    await dropNamespace(context.client, namespace);
  }
}
