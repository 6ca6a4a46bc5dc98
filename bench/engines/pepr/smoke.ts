// Self-check of the Pepr engine against a running control plane (by hand, not in CI):
//   node bench/engines/pepr/smoke.ts [kubeconfig]
// prepare → admission (AdmissionReviews posted straight to Pepr) → admission with registered
// webhooks (a Pod and a ConfigMap created through the API server) → watch (20 existing ConfigMaps)
// → store (a reader and a writer, 10 keys) → no webhook configuration left behind.
import { request } from "node:https";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { podReview } from "../../admission/fixture.ts";
import { dropNamespace, freePort, freshNamespace } from "../../harness/context.ts";
import { configMapRequests, createAll, podRequests } from "../../harness/load.ts";
import { seenAll } from "../../scenarios/watch.ts";
import type { EngineStartOptions, RunningEngine } from "../engine.ts";
import type { BenchEvent } from "../engine-process.ts";
import { peprEngine } from "./engine.ts";

const kubeconfig = process.argv[2] ?? "/root/.local/state/capstan/cluster/kubeconfig";
const CONFIGURATION = "pepr-bench";

interface Review {
  response?: { uid?: string; allowed?: boolean; patch?: string; status?: unknown; warnings?: string[] };
}

function ms(from: number, to = performance.timeOrigin + performance.now()): string {
  return `${(to - from).toFixed(0)} ms`;
}

const failures: string[] = [];

function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? "ok" : "FAILED"}: ${what}`);
  if (!ok) failures.push(what);
}

function post(url: string, body: unknown, ca: string): Promise<{ status: number; body: Review; ms: number }> {
  const payload = JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        ca,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Review, ms: performance.now() - started });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function startReady(options: EngineStartOptions): Promise<RunningEngine> {
  const engine = await peprEngine.start(options);
  await engine.ready(60_000);
  console.log(
    `  ${options.scenario}${options.registerWebhooks ? " + webhooks" : ""}: ready ${ms(engine.spawnedAt)} after spawn`,
  );
  return engine;
}

async function admissionDirect(base: EngineStartOptions): Promise<void> {
  console.log("admission, AdmissionReviews posted to Pepr");
  const engine = await startReady({ ...base, port: await freePort() });
  try {
    const review = podReview() as { request: { namespace: string; object: { metadata: { namespace: string } } } };
    review.request.namespace = base.namespace;
    review.request.object.metadata.namespace = base.namespace;
    console.log(`  review: ${JSON.stringify(review).length} bytes`);
    const mutate = await post(engine.mutateUrl, review, engine.caCert);
    const patch = JSON.parse(Buffer.from(mutate.body.response?.patch ?? "", "base64").toString("utf8") || "[]");
    console.log(
      `  mutate: HTTP ${mutate.status} in ${mutate.ms.toFixed(1)} ms, allowed=${mutate.body.response?.allowed}`,
    );
    console.log(`  patch: ${JSON.stringify(patch)}`);
    check(JSON.stringify(patch).includes('"/metadata/labels/bench","value":"yes"'), "the patch adds the bench label");
    const validate = await post(engine.validateUrl, review, engine.caCert);
    console.log(
      `  validate: HTTP ${validate.status} in ${validate.ms.toFixed(1)} ms, ${JSON.stringify(validate.body.response)}`,
    );
    check(validate.body.response?.allowed === true, "the Pod is allowed");
    const again = await post(engine.mutateUrl, review, engine.caCert);
    console.log(`  mutate again (warm): ${again.ms.toFixed(1)} ms`);
  } finally {
    await engine.stop();
  }
}

interface CreatedMeta {
  readonly metadata: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
}

async function admissionRegistered(base: EngineStartOptions, client: ApiClient): Promise<void> {
  console.log("admission, webhooks registered with the API server");
  const engine = await startReady({ ...base, port: await freePort(), registerWebhooks: true });
  try {
    const requests = [...podRequests(base.namespace, "smoke", 1), ...configMapRequests(base.namespace, "smoke", 1)];
    const [pod, cm] = await createAll<CreatedMeta>(client, requests, 1);
    if (!pod || !cm) throw new Error("the Pod and the ConfigMap were not both created");
    const { labels } = pod.created.metadata;
    console.log(`  Pod created in ${(pod.doneAt - pod.sentAt).toFixed(0)} ms, labels ${JSON.stringify(labels)}`);
    check(labels?.bench === "yes", "the created Pod carries bench=yes");
    const { annotations } = cm.created.metadata;
    console.log(
      `  ConfigMap created in ${(cm.doneAt - cm.sentAt).toFixed(0)} ms, annotations ${JSON.stringify(annotations)}`,
    );
    check(annotations?.["bench/seen"] === "yes", "the created ConfigMap carries bench/seen=yes");
  } finally {
    await engine.stop();
  }
}

async function watch(base: EngineStartOptions, client: ApiClient): Promise<void> {
  console.log("watch, 20 existing ConfigMaps");
  const ns = await freshNamespace(client, "pepr-smoke-watch");
  try {
    await createAll(client, configMapRequests(ns, "cm", 20), 5);
    const engine = await peprEngine.start({ ...base, namespace: ns, scenario: "watch", port: await freePort() });
    try {
      const seen = seenAll(engine, "cm-", 20, 60_000);
      await engine.ready(60_000);
      console.log(`  ready ${ms(engine.spawnedAt)} after spawn`);
      const events = await seen.catch((error: Error) => {
        check(false, error.message);
        return new Map<string, BenchEvent>();
      });
      const last = Math.max(...[...events.values()].map((event) => event.at));
      if (events.size === 20) check(true, `20 watch events, the last ${ms(engine.spawnedAt, last)} after spawn`);
      const usage = engine.usage();
      console.log(`  rss ${(usage.rssBytes / 2 ** 20).toFixed(0)} MiB, cpu ${usage.cpuMs.toFixed(0)} ms`);
    } finally {
      await engine.stop();
    }
  } finally {
    await dropNamespace(client, ns);
  }
}

/** How many of this run's keys the module's PeprStore holds (Pepr stores `<capability>-v2-<key>`). */
async function storedKeys(client: ApiClient, run: string): Promise<number> {
  try {
    const store = await client.request<{ data?: Record<string, string> }>({
      path: "/apis/pepr.dev/v1/namespaces/pepr-system/peprstores/pepr-bench-store",
    });
    return Object.keys(store.data ?? {}).filter((key) => key.startsWith(`bench-v2-k-${run}-`)).length;
  } catch (error) {
    if (error instanceof NotFoundError) return 0;
    throw error;
  }
}

async function store(base: EngineStartOptions, client: ApiClient): Promise<void> {
  console.log("store, a reader and a writer, 10 keys");
  const run = `smoke${Date.now()}`;
  const env = { BENCH_RUN: run, BENCH_STORE_KEYS: "10", BENCH_STORE_PACE_MS: "0" };
  const start = async (role: string) =>
    peprEngine.start({ ...base, scenario: "store", port: await freePort(), env: { ...env, BENCH_STORE_ROLE: role } });
  const reader = await start("reader");
  const writer = await start("writer");
  try {
    const seen = new Set<string>();
    let lastSeen = 0;
    reader.onEvent((event) => {
      if (event.event !== "store-seen") return;
      seen.add(event.name);
      lastSeen = event.at;
    });
    const firstWrite = writer.waitFor("store-write", `k-${run}-0`, 60_000);
    await Promise.all([reader.ready(60_000), writer.ready(60_000)]);
    console.log(`  reader ready ${ms(reader.spawnedAt)}, writer ready ${ms(writer.spawnedAt)} after spawn`);
    const written = await firstWrite;
    let stored = 0;
    let storedAt = 0;
    const deadline = Date.now() + 30_000;
    while ((seen.size < 10 || stored < 10) && Date.now() < deadline) {
      if (stored < 10) {
        stored = await storedKeys(client, run);
        storedAt = performance.timeOrigin + performance.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    check(stored === 10, `the writer's 10 keys are in the PeprStore ${ms(written.at, storedAt)} after the first write`);
    check(
      seen.size === 10,
      `10 store-seen events (got ${seen.size})${seen.size ? `, the last ${ms(written.at, lastSeen)} after the first write` : ""}`,
    );
  } finally {
    await Promise.all([writer.stop(), reader.stop()]);
  }
}

async function leftovers(client: ApiClient): Promise<string[]> {
  const left: string[] = [];
  for (const kind of ["mutating", "validating"]) {
    try {
      await client.request({
        path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${CONFIGURATION}`,
      });
      left.push(`${kind}/${CONFIGURATION}`);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return left;
}

const client = await ApiClient.fromKubeconfig({ kubeconfig });
const load = (await import("node:os")).loadavg().map((n) => n.toFixed(2));
console.log(`pepr ${peprEngine.version} on node ${process.version}, load average ${load.join(" ")}`);
let started = performance.now();
await peprEngine.prepare();
console.log(`prepare: ${(performance.now() - started).toFixed(0)} ms`);
const namespace = await freshNamespace(client, "pepr-smoke");
const base: EngineStartOptions = { kubeconfig, namespace, scenario: "admission", port: 0, registerWebhooks: false };
try {
  started = performance.now();
  await admissionDirect(base);
  await admissionRegistered(base, client);
  await watch(base, client);
  await store(base, client);
  const left = await leftovers(client);
  check(left.length === 0, `no webhook configuration left behind (${left.join(", ") || "none"})`);
  console.log(`checks done in ${(performance.now() - started).toFixed(0)} ms, ${failures.length} failed`);
  if (failures.length > 0) process.exitCode = 1;
} finally {
  await dropNamespace(client, namespace);
  await client.close();
}
