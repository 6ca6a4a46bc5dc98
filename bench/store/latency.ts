// Store latency bench: N processes write K distinct keys each at once (or at a steady rate) and
// measure setItem -> visible on the other replicas. Run against a running cluster:
//   node bench/store/latency.ts [--processes 3] [--keys 1000] [--rounds 1] [--spread-ms 0] [--max-in-flight N] [--kubeconfig PATH]
// --spread-ms N writes 10 keys every N ms per process instead of all at once. Round 1 starts on a
// fresh store (its writes create the shards); later rounds write into the shards that exist.
// Each line gives the 1-minute load average at the end of the round: compare runs taken together.
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { ApiClient } from "../../src/k8s/api-client.ts";
import { installStoreCrd } from "../../src/store/install.ts";
import { percentile, StoreProcess } from "../../test/integration/store/store-processes.ts";

const { values } = parseArgs({
  options: {
    processes: { type: "string", default: "3" },
    keys: { type: "string", default: "1000" },
    rounds: { type: "string", default: "1" },
    "spread-ms": { type: "string", default: "0" },
    "max-in-flight": { type: "string" },
    kubeconfig: { type: "string", default: `${process.env.HOME}/.local/state/capstan/cluster/kubeconfig` },
  },
});
const processes = Number(values.processes);
const keys = Number(values.keys);
const rounds = Number(values.rounds);
const spreadMs = Number(values["spread-ms"]);
const kubeconfig = values.kubeconfig;
const maxInFlight = values["max-in-flight"] === undefined ? undefined : Number(values["max-in-flight"]);

const client = await ApiClient.fromKubeconfig({ kubeconfig });
await installStoreCrd(client);
const namespace = `store-bench-${randomBytes(3).toString("hex")}`;
await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: namespace } } });
const writers = await Promise.all(
  Array.from({ length: processes }, () => StoreProcess.start({ kubeconfig, namespace, name: "bench", maxInFlight })),
);
try {
  for (let round = 1; round <= rounds; round++) {
    const started = Date.now();
    const replies = await Promise.all(
      writers.map((w, i) =>
        w.ask({
          do: "write",
          prefix: `r${round}w${i}`,
          count: keys,
          spreadMs,
          others: writers.map((_, j) => `r${round}w${j}`).filter((_, j) => j !== i),
        }),
      ),
    );
    const elapsed = Date.now() - started;
    const latencies = replies.flatMap((r) => ("latenciesMs" in r ? r.latenciesMs : []));
    const writerCpuMs = replies.map((r) => ("cpuMs" in r ? r.cpuMs : 0));
    console.log(
      JSON.stringify({
        round,
        processes,
        keysPerProcess: keys,
        totalMs: elapsed,
        samples: latencies.length,
        p50Ms: percentile(latencies, 50),
        p90Ms: percentile(latencies, 90),
        p99Ms: percentile(latencies, 99),
        maxMs: Math.max(...latencies),
        writerCpuMs,
        load1m: Number(loadavg()[0]?.toFixed(2)),
      }),
    );
  }
} finally {
  await Promise.all(writers.map((w) => w.stop()));
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` });
  await client.close();
}
