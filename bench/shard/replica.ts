// One controller replica of the shard bench, a host process: a Reconcile binding on the bench's
// ConfigMaps that spends BENCH_WORK_MS of CPU per object (the callback's own work) and reports each
// reconcile as `BENCH {"event":"reconciled","name":<object>,"at":epochMs}` on BENCH_EVENTS_FD.
//   KUBECONFIG       the control plane
//   BENCH_NAMESPACE  the namespace of the objects
//   BENCH_WORK_MS    CPU milliseconds per reconcile (busy loop)
// On SIGUSR2 it collects garbage and reports `heap` with the used heap in bytes as the name.
//   BENCH_SHARD, BENCH_SHARD_PREFIX  when both are set, the replica runs capstan's sharded controller
//                    role as shard BENCH_SHARD of the module prefix BENCH_SHARD_PREFIX: shard Lease,
//                    leader election (the leader runs the assigner), informers selecting its shard label
//   BENCH_SHARD_LABEL, BENCH_SHARD  (without a prefix) the binding selects only objects with that label
//                    equal to BENCH_SHARD: a replica whose cache holds nothing (the idle floor)
import { writeSync } from "node:fs";
import { type ControllerRole, startControllerRole } from "../../src/controller/index.ts";
import { ApiClient, models } from "../../src/k8s/index.ts";
import { Capability } from "../../src/model/index.ts";
import { startShardedControllerRole } from "../../src/shard/index.ts";
import { Log } from "../../src/telemetry/index.ts";

const kubeconfig = process.env.KUBECONFIG;
const namespace = process.env.BENCH_NAMESPACE;
const workMs = Number(process.env.BENCH_WORK_MS ?? "1");
const eventsFd = Number(process.env.BENCH_EVENTS_FD ?? "1");
const shardLabel = process.env.BENCH_SHARD_LABEL;
const shard = process.env.BENCH_SHARD;
const prefix = process.env.BENCH_SHARD_PREFIX;
if (!kubeconfig || !namespace) throw new Error("bench/shard/replica.ts needs KUBECONFIG and BENCH_NAMESPACE");

function report(event: string, name: string): void {
  writeSync(eventsFd, `BENCH ${JSON.stringify({ event, name, at: performance.timeOrigin + performance.now() })}\n`);
}

function spin(ms: number): number {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x = (x * 31 + 7) % 1_000_003;
  return x;
}

const capability = new Capability({ name: "shard-bench", description: "", namespaces: [namespace] });
const objects = capability.When(models.ConfigMap).IsCreatedOrUpdated().InNamespace(namespace).WithLabel("app", "bench");
(shardLabel && shard && !prefix ? objects.WithLabel(shardLabel, shard) : objects).Reconcile((object) => {
  spin(workMs);
  report("reconciled", object.metadata?.name ?? "");
});

const client = await ApiClient.fromKubeconfig({ kubeconfig });
const logger = Log.child({}, { level: "warn" });
const role: ControllerRole =
  shard && prefix
    ? await startShardedControllerRole(client, {
        capabilities: [capability],
        leaderElection: { namespace, name: `${prefix}-leader`, identity: shard },
        logger,
        shard: { id: shard, namespace, prefix },
      })
    : await startControllerRole(client, { capabilities: [capability], leaderElection: false, logger });
report("started", String(process.pid));
// The harness asks for the heap after a full collection (run with --expose-gc): the cache's real size.
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  report("heap", String(process.memoryUsage().heapUsed));
});
process.once("SIGTERM", () => {
  void role.shutdown().then(() => process.exit(0));
});
