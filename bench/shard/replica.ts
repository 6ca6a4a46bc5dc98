// One controller replica of the shard bench, a host process: a Reconcile binding on the bench's
// ConfigMaps that spends BENCH_WORK_MS of CPU per object (the callback's own work) and reports each
// reconcile as `BENCH {"event":"reconciled","name":<object>,"at":epochMs}` on BENCH_EVENTS_FD.
//   KUBECONFIG       the control plane
//   BENCH_NAMESPACE  the namespace of the objects
//   BENCH_WORK_MS    CPU milliseconds per reconcile (busy loop)
import { writeSync } from "node:fs";
import { startControllerRole } from "../../src/controller/index.ts";
import { ApiClient, models } from "../../src/k8s/index.ts";
import { Capability } from "../../src/model/index.ts";
import { Log } from "../../src/telemetry/index.ts";

const kubeconfig = process.env.KUBECONFIG;
const namespace = process.env.BENCH_NAMESPACE;
const workMs = Number(process.env.BENCH_WORK_MS ?? "1");
const eventsFd = Number(process.env.BENCH_EVENTS_FD ?? "1");
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
capability
  .When(models.ConfigMap)
  .IsCreatedOrUpdated()
  .InNamespace(namespace)
  .WithLabel("app", "bench")
  .Reconcile((object) => {
    spin(workMs);
    report("reconciled", object.metadata?.name ?? "");
  });

const client = await ApiClient.fromKubeconfig({ kubeconfig });
const role = await startControllerRole(client, {
  capabilities: [capability],
  leaderElection: false,
  logger: Log.child({}, { level: "warn" }),
});
report("started", String(process.pid));
process.once("SIGTERM", () => {
  void role.shutdown().then(() => process.exit(0));
});
