// Scenario 5: start-up. Time from spawning the engine's process to the first AdmissionReview it
// answers, and, in a namespace holding existing ConfigMaps, to the moment its Watch callback has
// seen every one of them (caches synced and delivered).
import { podReview } from "../admission/fixture.ts";
import { now } from "../engines/engine-process.ts";
import { httpsStatus, sleep } from "../engines/running-engine.ts";
import { type BenchContext, dropNamespace, freePort, freshNamespace } from "../harness/context.ts";
import { configMapRequests, createAll } from "../harness/load.ts";
import { SampleTable, type ScenarioResult } from "../harness/results.ts";
import { seenAll } from "./watch.ts";

const EXISTING = 1_000;

export async function startup(context: BenchContext): Promise<ScenarioResult> {
  const table = new SampleTable();
  const body = JSON.stringify(podReview());
  const namespace = await freshNamespace(context.client, "bench-startup");
  try {
    await createAll(context.client, configMapRequests(namespace, "existing", EXISTING), 20);
    for (let round = 1; round <= context.runs; round++) {
      for (const engine of context.engines) {
        const admission = await engine.start({
          kubeconfig: context.kubeconfig,
          namespace: "bench",
          scenario: "admission",
          port: await freePort(),
          registerWebhooks: false,
        });
        let servingMs: number;
        try {
          // A refused connection or a 404 is not serving yet.
          while ((await httpsStatus(admission.mutateUrl, admission.caCert, "POST", body)) !== 200) {
            if (now() - admission.spawnedAt > 120_000) throw new Error(`${engine.name} did not answer within 120 s`);
            await sleep(10);
          }
          servingMs = now() - admission.spawnedAt;
        } finally {
          await admission.stop();
        }
        const watcher = await engine.start({
          kubeconfig: context.kubeconfig,
          namespace,
          scenario: "watch",
          port: await freePort(),
          registerWebhooks: false,
        });
        let syncedMs: number;
        try {
          const seen = await seenAll(watcher, "existing-", EXISTING, 120_000);
          syncedMs = Math.max(...[...seen.values()].map((e) => e.at)) - watcher.spawnedAt;
        } finally {
          await watcher.stop();
        }
        table.add(engine.name, { serving: servingMs, synced: syncedMs });
        context.log(
          `startup round ${round} ${engine.name}: serving ${servingMs.toFixed(0)} ms, synced ${syncedMs.toFixed(0)} ms`,
        );
      }
    }
  } finally {
    await dropNamespace(context.client, namespace);
  }
  return {
    id: "startup",
    title: "5. Start-up",
    method:
      "From spawning the engine's process to (a) the first 200 answer to a Pod AdmissionReview posted to its mutate " +
      `route (polled every 10 ms), and (b) in a namespace holding ${EXISTING.toLocaleString("en")} ConfigMaps, the Watch ` +
      "callback having seen every one of them.",
    metrics: [
      { key: "serving", label: "to serving admission", unit: "ms", better: "lower" },
      { key: "synced", label: `to ${EXISTING.toLocaleString("en")} objects delivered`, unit: "ms", better: "lower" },
    ],
    rows: table.rows(),
    distributions: [],
    notes: [],
  };
}
