// Where the time of a create through the API server goes, engine beside the bare clone + label + diff
// server, measured in pairs: both run at once, each registered for a namespace of its own, and
// batches of creates alternate between them. Each batch records creates/s and the CPU time the
// API server, etcd and the webhook process used per create; ratios are taken within a pair, so the
// machine's noise (it is shared) mostly cancels. Variants change one thing about the engine:
//   node bench/admission/api-path.ts --state-dir DIR [--pairs 8] [--per-kind 60] [--in-flight 4,16]
//        [--env KEY=VALUE,...]      extra environment for the engine (e.g. LOG_LEVEL=warn)
//        [--config bare-like|no-match-conditions]  rewrite the engine's registered webhooks
//        [--cpu-prof DIR]           write the engine's CPU profile there on exit
// A control plane in DIR (`startControlPlane({ stateDir, detached: true })`) is used, or started there.
import os from "node:os";
import { parseArgs } from "node:util";
import { applyWebhookConfigurations } from "../../src/admission/registration.ts";
import { ApiClient } from "../../src/k8s/api-client.ts";
import {
  isControlPlaneReady,
  readControlPlaneState,
  startControlPlane,
} from "../../src/testing/control-plane/control-plane.ts";
import { bareWebhookEngine } from "../engines/bare.ts";
import { capstanEngine } from "../engines/capstan.ts";
import type { Engine, RunningEngine } from "../engines/engine.ts";
import { processUsage } from "../engines/engine-process.ts";
import { type BenchContext, dropNamespace, freshNamespace, startReady } from "../harness/context.ts";
import { configMapRequests, createAll, podRequests } from "../harness/load.ts";
import { median } from "../harness/stats.ts";

const { values } = parseArgs({
  options: {
    "state-dir": { type: "string", default: "/tmp/capstan-api-path" },
    pairs: { type: "string", default: "8" },
    "per-kind": { type: "string", default: "60" },
    "in-flight": { type: "string", default: "4,16" },
    env: { type: "string", default: "" },
    config: { type: "string" },
    "cpu-prof": { type: "string" },
    "skip-prepare": { type: "boolean", default: false },
  },
});
const IDLE_MS = Number(process.env.API_PATH_IDLE_MS ?? 5_000);
const log = (line: string) => process.stderr.write(`api-path: ${line}\n`);
const stateDir = values["state-dir"];
let state = readControlPlaneState(stateDir);
if (!state || !(await isControlPlaneReady(state))) {
  state = await startControlPlane({ stateDir, detached: true, onProgress: log });
}
const client = await ApiClient.fromKubeconfig({ kubeconfig: state.kubeconfig });
const context: BenchContext = { kubeconfig: state.kubeconfig, client, engines: [], runs: 1, log };
const env = Object.fromEntries(
  values.env
    .split(",")
    .filter(Boolean)
    .map((pair) => pair.split("=", 2) as [string, string]),
);
if (values["cpu-prof"]) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${values["cpu-prof"]}`;
if (!values["skip-prepare"]) await capstanEngine.prepare();

interface Side {
  readonly name: string;
  readonly namespace: string;
  readonly running: RunningEngine;
}

async function startSide(name: string, engine: Engine, extra: Record<string, string>): Promise<Side> {
  const namespace = await freshNamespace(client, "api-path");
  const running = await startReady(context, engine, {
    namespace,
    scenario: "admission",
    registerWebhooks: true,
    env: extra,
  });
  return { name, namespace, running };
}

/** Rewrites the engine's registered configurations to isolate one difference from the bare server's. */
async function rewriteConfigurations(kind: string, namespace: string): Promise<void> {
  for (const which of ["mutating", "validating"] as const) {
    const path = `/apis/admissionregistration.k8s.io/v1/${which}webhookconfigurations/pepr-bench`;
    // The engine applies the validating configuration just after the mutating one it is waited for by.
    let config: { webhooks: Record<string, unknown>[] } | undefined;
    for (let attempt = 0; !config; attempt++) {
      config = await client
        .request<{ webhooks: Record<string, unknown>[] }>({ method: "GET", path })
        .catch((error: unknown) => {
          if (attempt > 50) throw error;
          return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100));
        });
    }
    const webhooks = config.webhooks.map((webhook) => {
      const { matchConditions: _, ...rest } = webhook;
      if (kind === "no-match-conditions") return rest;
      return {
        name: webhook.name,
        clientConfig: webhook.clientConfig,
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods", "configmaps"] }],
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
        failurePolicy: "Fail",
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
        timeoutSeconds: 10,
      };
    });
    const body = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: which === "mutating" ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration",
      metadata: { name: "pepr-bench" },
      webhooks,
    };
    await client.request({ method: "DELETE", path });
    await applyWebhookConfigurations(client, { [which]: body });
  }
  // The API server sees a changed configuration within about a second.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}

function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processUsage(pid).cpuMs, 0);
}

interface Batch {
  rate: number;
  apiCpu: number;
  etcdCpu: number;
  hookCpu: number;
}

let serial = 0;
async function batch(side: Side, inFlight: number, perKind: number): Promise<Batch> {
  const prefix = `b${serial++}`;
  const requests = configMapRequests(side.namespace, `${prefix}-cm`, perKind).flatMap((cm, i) => [
    cm,
    ...podRequests(side.namespace, `${prefix}-pod`, perKind).slice(i, i + 1),
  ]);
  const pids = state?.pids ?? {};
  const api = [pids["kube-apiserver"] ?? -1];
  const etcd = [pids.etcd ?? -1];
  const before = { api: cpuOf(api), etcd: cpuOf(etcd), hook: side.running.usage().cpuMs };
  const started = performance.now();
  await createAll(client, requests, inFlight);
  const seconds = (performance.now() - started) / 1000;
  const n = requests.length;
  return {
    rate: n / seconds,
    apiCpu: (cpuOf(api) - before.api) / n,
    etcdCpu: (cpuOf(etcd) - before.etcd) / n,
    hookCpu: (side.running.usage().cpuMs - before.hook) / n,
  };
}

const bare = await startSide("bare", bareWebhookEngine, {});
const engine = await startSide("capstan", capstanEngine, env);
try {
  if (values.config) await rewriteConfigurations(values.config, engine.namespace);
  const perKind = Number(values["per-kind"]);
  for (const side of [bare, engine]) {
    await createAll(client, configMapRequests(side.namespace, "warm", 20), 4);
  }
  const idleBefore = [bare, engine].map((side) => side.running.usage().cpuMs);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idle = [bare, engine].map((side, i) => (side.running.usage().cpuMs - (idleBefore[i] ?? 0)) / (IDLE_MS / 1000));
  log(`idle CPU ms/s: bare ${idle[0]?.toFixed(0)}, capstan ${idle[1]?.toFixed(0)}`);
  const loadBefore = os.loadavg()[0];
  for (const inFlight of values["in-flight"].split(",").map(Number)) {
    const ratios: number[] = [];
    const rows: Record<string, Batch[]> = { bare: [], capstan: [] };
    for (let pair = 0; pair < Number(values.pairs); pair++) {
      // Alternate which side goes first, so a trend in the machine's load favours neither.
      const order = pair % 2 === 0 ? [bare, engine] : [engine, bare];
      const result: Record<string, Batch> = {};
      for (const side of order) result[side.name] = await batch(side, inFlight, perKind);
      for (const side of order) rows[side.name]?.push(result[side.name] as Batch);
      ratios.push((result.capstan as Batch).rate / (result.bare as Batch).rate);
    }
    const summary = (name: string) => {
      const list = rows[name] ?? [];
      const m = (key: keyof Batch) => median(list.map((b) => b[key])).toFixed(key === "rate" ? 0 : 2);
      return `${name} ${m("rate")}/s, CPU ms per create: api ${m("apiCpu")} etcd ${m("etcdCpu")} webhook ${m("hookCpu")}`;
    };
    log(
      `${inFlight} in flight: capstan/bare ${median(ratios).toFixed(2)} (pairs ${ratios.map((r) => r.toFixed(2)).join(" ")}); ${summary("bare")}; ${summary("capstan")}`,
    );
  }
  log(`load ${loadBefore?.toFixed(1)} → ${os.loadavg()[0]?.toFixed(1)}`);
} finally {
  await engine.running.stop();
  await bare.running.stop();
  await dropNamespace(client, engine.namespace);
  await dropNamespace(client, bare.namespace);
  await client.close();
}
