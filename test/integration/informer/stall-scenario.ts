import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { informerReadiness, report } from "../../../src/controller/health.ts";
import { serveHealth } from "../../../src/controller/health-server.ts";
import { sharedInformer } from "../../../src/informer/index.ts";
import { stripManagedFields } from "../../../src/informer/transform.ts";
import type { InformerEvent } from "../../../src/informer/types.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { FaultProxy } from "../../../src/testing/fault-proxy.ts";
import { canonical, churnPlans, type Delivered, deliveryViolations, objectKeyOf } from "./churn.ts";
import { configMapKind, sleep } from "./helpers.ts";
import type { PrivatePlane } from "./private-plane.ts";

/** One fault at `atMs` after the writer starts. */
export type StallStep =
  /** The event loop of this process (the informer's) is blocked: a busy loop or a synchronous child process. */
  | { readonly atMs: number; readonly kind: "busy" | "child"; readonly ms: number }
  /** Nothing passes the proxy for `ms`: the watch is really silent; /readyz must go 503, then 200. */
  | { readonly atMs: number; readonly kind: "black-hole"; readonly ms: number }
  | { readonly atMs: number; readonly kind: "restart-api-server" };

export interface StallScenarioOptions {
  readonly objects: number;
  readonly namespaces: number;
  readonly writeDurationMs: number;
  readonly resetEveryMs: number;
  readonly idleTimeoutMs: number;
  readonly steps: readonly StallStep[];
  readonly log?: (line: string) => void;
}

export interface StallScenarioReport {
  readonly numbers: Record<string, number>;
  readonly violations: string[];
}

/** Blocks this process's event loop for `ms`. */
export function stallEventLoop(kind: "busy" | "child", ms: number): void {
  if (kind === "child") {
    execFileSync("sleep", [(ms / 1000).toFixed(3)]);
    return;
  }
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // a CPU-bound callback
  }
}

/** A random schedule of event-loop stalls (`minMs`..`maxMs`, busy or child) over `durationMs`, plus the given extra steps. */
export function randomStalls(
  durationMs: number,
  options: { minMs: number; maxMs: number; gapMs: [number, number] },
): StallStep[] {
  const steps: StallStep[] = [];
  for (let at = options.gapMs[0]; at < durationMs; ) {
    const ms = Math.round(options.minMs + Math.random() * (options.maxMs - options.minMs));
    steps.push({ atMs: at, kind: Math.random() < 0.5 ? "busy" : "child", ms });
    at += ms + options.gapMs[0] + Math.random() * (options.gapMs[1] - options.gapMs[0]);
  }
  return steps;
}

/**
 * A writer in another process creates, updates and deletes ConfigMaps (so changes keep coming
 * while this process is blocked) while this process, which runs the informer, has its event loop
 * stalled on schedule, the proxy in front of the informer resets every connection every few
 * seconds, and optionally goes black or the API server restarts. /readyz (the controller's health
 * server over the informer's health) is probed after each black hole until it answers 503, then
 * until 200. At the end the informer's cache must equal a fresh LIST and every final state and
 * every delete must have been delivered, within 10 s of the last disturbance.
 */
export async function runStallScenario(
  plane: PrivatePlane,
  options: StallScenarioOptions,
): Promise<StallScenarioReport> {
  const log = options.log ?? (() => {});
  const run = randomBytes(3).toString("hex");
  const label = `capstan.dev/stall-run=${run}`;
  const writer = await plane.client();
  const proxy = await FaultProxy.start({ target: plane.state.server });
  const informerClient = new ApiClient({ ...writer.connection, server: proxy.url() }, { headersTimeoutMs: 5_000 });
  const namespaces = Array.from({ length: options.namespaces }, (_, i) => `stall-${run}-${i}`);
  for (const name of namespaces)
    await writer.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name } } });
  const plans = churnPlans(options.objects, namespaces);

  const delivered = new Map<string, Delivered[]>();
  const informer = sharedInformer(informerClient, {
    kind: configMapKind,
    labelSelector: label,
    idleTimeoutMs: options.idleTimeoutMs,
    minWatchTimeoutSeconds: 15,
    requestTimeoutMs: 10_000,
    backoff: { initialMs: 200, maxMs: 2_000 },
  });
  let eventCount = 0;
  informer.subscribe((event: InformerEvent) => {
    eventCount++;
    const k = objectKeyOf(event.object);
    const v = Number((event.object as { data?: { v?: string } }).data?.v ?? -1);
    let list = delivered.get(k);
    if (!list) {
      list = [];
      delivered.set(k, list);
    }
    list.push({ type: event.type, v });
  });
  const started = Date.now();
  informer.start();
  await informer.waitForSync(AbortSignal.timeout(30_000));
  const health = await serveHealth(
    { readiness: () => informerReadiness([informer.health()]), liveness: () => report([]) },
    { port: 0, host: "127.0.0.1" },
  );
  const readyz = async () =>
    (await fetch(`http://127.0.0.1:${health.port}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;

  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, "churn-writer.ts"),
      plane.state.kubeconfig,
      JSON.stringify({ namespaces, objects: options.objects, durationMs: options.writeDurationMs, label }),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let writerOutput = "";
  child.stdout.on("data", (chunk: Buffer) => {
    writerOutput += chunk.toString();
  });
  const writing = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  const writerStarted = Date.now();
  let writingDone = false;
  void writing.then(() => {
    writingDone = true;
  });

  const resets = (async () => {
    while (!writingDone) {
      await sleep(options.resetEveryMs);
      proxy.resetAll();
    }
  })();

  const figures = {
    loopStalls: 0,
    loopStalledMs: 0,
    longestLoopStallMs: 0,
    blackHoles: 0,
    readyz503AfterMs: -1,
    readyz200AfterMs: -1,
    apiServerDowntimeMs: 0,
  };
  let lastDisturbanceEnd = writerStarted;
  let lastStallEnd = writerStarted;
  for (const step of [...options.steps].sort((a, b) => a.atMs - b.atMs)) {
    const wait = writerStarted + step.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    if (step.kind === "busy" || step.kind === "child") {
      const from = Date.now();
      stallEventLoop(step.kind, step.ms);
      const took = Date.now() - from;
      figures.loopStalls++;
      figures.loopStalledMs += took;
      figures.longestLoopStallMs = Math.max(figures.longestLoopStallMs, took);
      lastStallEnd = Date.now();
      log(`[stall] event loop blocked ${took} ms (${step.kind})`);
    } else if (step.kind === "black-hole") {
      figures.blackHoles++;
      const from = Date.now();
      proxy.setBlackHole(true);
      let status = 0;
      for (; Date.now() - from < step.ms + 30_000 && status !== 503; await sleep(100)) status = await readyz();
      if (status === 503) figures.readyz503AfterMs = Date.now() - from;
      const remaining = from + step.ms - Date.now();
      if (remaining > 0) await sleep(remaining);
      proxy.setBlackHole(false);
      const open = Date.now();
      for (; Date.now() - open < 30_000 && status !== 200; await sleep(100)) status = await readyz();
      if (status === 200) figures.readyz200AfterMs = Date.now() - open;
      log(
        `[stall] black hole ${step.ms} ms: /readyz 503 after ${figures.readyz503AfterMs} ms, 200 ${figures.readyz200AfterMs} ms after it ended`,
      );
    } else {
      figures.apiServerDowntimeMs = await plane.restartApiServer(writer);
      log(`[stall] kube-apiserver restarted, down ${figures.apiServerDowntimeMs} ms`);
    }
    lastDisturbanceEnd = Date.now();
  }
  const writerExit = await writing;
  await resets;
  const writesDoneAt = Date.now();
  lastDisturbanceEnd = Math.max(lastDisturbanceEnd, writesDoneAt);
  log(`[stall] writer done (exit ${writerExit}): ${writerOutput.trim()}`);

  const expected = async () => {
    const list = await writer.request<{ items: KubernetesObject[] }>({
      path: "/api/v1/configmaps",
      query: { labelSelector: label },
    });
    return new Map(
      list.items.map((o) => [
        objectKeyOf(o),
        canonical(stripManagedFields({ ...o, apiVersion: "v1", kind: "ConfigMap" })),
      ]),
    );
  };
  const cached = () => new Map(informer.list().map((o) => [objectKeyOf(o), canonical(o)]));
  const sameAs = (a: Map<string, string>, b: Map<string, string>) =>
    a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  let server = await expected();
  const converged = () => sameAs(cached(), server) && deliveryViolations(plans, delivered).missingFinal.length === 0;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline && !converged(); ) {
    await sleep(100);
    server = await expected();
  }
  const convergeMs = Date.now() - lastDisturbanceEnd;
  const convergeAfterLastStallMs = Date.now() - lastStallEnd;

  const { violations, neverSeen } = deliveryViolations(plans, delivered);
  const cache = cached();
  if (!sameAs(cache, server)) {
    const missing = [...server.keys()].filter((k) => !cache.has(k));
    const extra = [...cache.keys()].filter((k) => !server.has(k));
    const stale = [...server.keys()].filter((k) => cache.has(k) && cache.get(k) !== server.get(k));
    violations.unshift(
      `cache differs from LIST: missing ${missing.length}, extra ${extra.length}, stale ${stale.length} (e.g. ${[...missing, ...extra, ...stale].slice(0, 5).join(", ")})`,
    );
  }
  if (writerExit !== 0) violations.push(`the writer exited with ${writerExit}`);
  const finalReadyz = await readyz();
  if (finalReadyz !== 200) violations.push(`/readyz answered ${finalReadyz} after recovery`);

  const h = informer.health();
  const numbers = {
    objects: options.objects,
    namespaces: options.namespaces,
    ...(JSON.parse(writerOutput.trim() || "{}") as Record<string, number>),
    eventsDelivered: eventCount,
    deletedWhileCutOff: neverSeen,
    connectionResets: proxy.stats.resets,
    idleTimeoutMs: options.idleTimeoutMs,
    ...figures,
    watchdogStalls: h.stalls ?? 0,
    watchdogSawLoopBlockedMs: Math.round((h.eventLoopBlockedSeconds ?? 0) * 1000),
    reconnects: h.reconnects,
    relists: h.relists,
    cachedObjects: h.cachedObjects,
    listedObjects: server.size,
    convergeAfterLastDisturbanceMs: convergeMs,
    writesEndedAfterLastStallMs: writesDoneAt - lastStallEnd,
    convergeAfterLastStallMs,
    finalReadyz,
    totalMs: Date.now() - started,
  };
  log(`[stall] ${JSON.stringify(numbers)}`);
  for (const violation of violations.slice(0, 5)) log(`[stall] violation: ${violation}`);
  await health.close();
  await informer.stop();
  await informerClient.close();
  await proxy.close();
  await writer.close();
  return { numbers, violations };
}
