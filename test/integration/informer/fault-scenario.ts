import { randomBytes } from "node:crypto";
import { sharedInformer } from "../../../src/informer/index.ts";
import { stripManagedFields } from "../../../src/informer/transform.ts";
import type { InformerEvent } from "../../../src/informer/types.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConflictError, NotFoundError } from "../../../src/k8s/errors.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { FaultProxy } from "../../../src/testing/fault-proxy.ts";
import { canonical, churnPlans, type Delivered, deliveryViolations, type Plan } from "./churn.ts";
import { configMapKind, configMapPath, sleep } from "./helpers.ts";
import type { PrivatePlane } from "./private-plane.ts";

export interface FaultScenarioOptions {
  readonly objects: number;
  readonly namespaces: number;
  /** How long the writer spreads its work over. */
  readonly writeDurationMs: number;
  readonly resetEveryMs: number;
  readonly idleTimeoutMs: number;
  readonly log?: (line: string) => void;
}

/** What the scenario measured, and every violation it found (empty when the informer was correct). */
export interface FaultScenarioReport {
  readonly numbers: Record<string, number>;
  readonly violations: string[];
}

/** Retries a write through API server restarts; a create that already happened or a delete of a gone object counts as done. */
async function write(action: () => Promise<unknown>, done: (error: unknown) => boolean): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      await action();
      return attempt;
    } catch (error) {
      if (done(error)) return attempt;
      await sleep(200);
    }
  }
}

/**
 * A writer creates, updates and deletes ConfigMaps across several namespaces while the proxy in
 * front of the informer resets every connection every few seconds and black-holes traffic twice
 * for 2.5x the idle timeout; during the second black hole etcd is compacted and kube-apiserver is
 * restarted, so the informer's resourceVersion is gone when it reconnects (410, relist). Then the
 * informer's cache is compared with a fresh LIST, and its delivered events with what was written.
 */
export async function runFaultScenario(
  plane: PrivatePlane,
  options: FaultScenarioOptions,
): Promise<FaultScenarioReport> {
  const log = options.log ?? (() => {});
  const run = randomBytes(3).toString("hex");
  const label = `capstan.dev/fault-run=${run}`;
  const writer = await plane.client();
  const proxy = await FaultProxy.start({ target: plane.state.server });
  const informerClient = new ApiClient({ ...writer.connection, server: proxy.url() }, { headersTimeoutMs: 5_000 });
  const namespaces = Array.from({ length: options.namespaces }, (_, i) => `fault-${run}-${i}`);
  for (const name of namespaces)
    await writer.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name } } });

  const plans: Plan[] = churnPlans(options.objects, namespaces);
  const key = (namespace: string | undefined, name: string | undefined) => `${namespace}/${name}`;
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
    const k = key(event.object.metadata?.namespace, event.object.metadata?.name);
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

  // The writer: every object lives create → updates → maybe delete, objects interleaved over the duration.
  const ops = { creates: 0, updates: 0, deletes: 0, retries: 0 };
  const totalOps = plans.reduce((n, p) => n + 1 + p.updates + (p.deleted ? 1 : 0), 0);
  const pauseMs = options.writeDurationMs / (totalOps / 4);
  const labels = { "capstan.dev/fault-run": run };
  const worker = async (mine: Plan[]) => {
    for (const plan of mine) {
      const path = configMapPath(plan.namespace, plan.name);
      ops.retries += await write(
        () =>
          writer.request({
            method: "POST",
            path: configMapPath(plan.namespace),
            body: { metadata: { name: plan.name, labels }, data: { v: "0" } },
          }),
        (e) => e instanceof ConflictError,
      );
      ops.creates++;
      await sleep(pauseMs);
      for (let v = 1; v <= plan.updates; v++) {
        const body = { data: { v: String(v) } };
        const patch = () =>
          writer.request({ method: "PATCH", path, contentType: "application/merge-patch+json", body });
        ops.retries += await write(patch, () => false);
        ops.updates++;
        await sleep(pauseMs);
      }
      if (plan.deleted) {
        ops.retries += await write(
          () => writer.request({ method: "DELETE", path }),
          (e) => e instanceof NotFoundError,
        );
        ops.deletes++;
        await sleep(pauseMs);
      }
    }
  };
  const writing = Promise.all([0, 1, 2, 3].map((w) => worker(plans.filter((_, i) => i % 4 === w))));

  // The faults.
  let writingDone = false;
  void writing.finally(() => {
    writingDone = true;
  });
  const resets = (async () => {
    while (!writingDone) {
      await sleep(options.resetEveryMs);
      proxy.resetAll();
    }
  })();
  const blackHoleMs = options.idleTimeoutMs * 2.5;
  const relistsBefore = informer.health().relists;
  let restartDowntimeMs = 0;
  let compactedAt = "";
  await sleep(options.writeDurationMs * 0.15);
  log(`[fault] black hole 1 for ${blackHoleMs} ms`);
  proxy.setBlackHole(true);
  await sleep(blackHoleMs);
  proxy.setBlackHole(false);
  await sleep(options.writeDurationMs * 0.2);
  log(`[fault] black hole 2 for ${blackHoleMs} ms with etcd compaction and an API server restart`);
  proxy.setBlackHole(true);
  await sleep(blackHoleMs / 2);
  compactedAt = await plane.compactEtcd();
  restartDowntimeMs = await plane.restartApiServer(writer);
  log(`[fault] compacted at ${compactedAt}; kube-apiserver was down ${restartDowntimeMs} ms`);
  await sleep(blackHoleMs / 2);
  proxy.setBlackHole(false);
  await writing;
  const writesDoneAt = Date.now();
  await resets;
  log(`[fault] writer done: ${JSON.stringify(ops)}`);

  // Converge: the informer must reach the server's state.
  const expected = async () => {
    const list = await writer.request<{ items: KubernetesObject[] }>({
      path: "/api/v1/configmaps",
      query: { labelSelector: label },
    });
    return new Map(
      list.items.map((o) => [
        key(o.metadata?.namespace, o.metadata?.name),
        canonical(stripManagedFields({ ...o, apiVersion: "v1", kind: "ConfigMap" })),
      ]),
    );
  };
  const cached = () =>
    new Map(informer.list().map((o) => [key(o.metadata?.namespace, o.metadata?.name), canonical(o)]));
  const sameAs = (a: Map<string, string>, b: Map<string, string>) =>
    a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  let server = await expected();
  for (const deadline = Date.now() + 60_000; Date.now() < deadline && !sameAs(cached(), server); ) {
    await sleep(250);
    server = await expected();
  }
  const convergeMs = Date.now() - writesDoneAt;

  const { violations, neverSeen } = deliveryViolations(plans, delivered);
  const cache = cached();
  if (!sameAs(cache, server)) {
    const missing = [...server.keys()].filter((k) => !cache.has(k));
    const extra = [...cache.keys()].filter((k) => !server.has(k));
    const stale = [...server.keys()].filter((k) => cache.has(k) && cache.get(k) !== server.get(k));
    const first = stale[0];
    if (first) violations.unshift(`stale ${first}: cached ${cache.get(first)} listed ${server.get(first)}`);
    violations.unshift(
      `cache differs from LIST: missing ${missing.length}, extra ${extra.length}, stale ${stale.length} (e.g. ${[...missing, ...extra, ...stale].slice(0, 5).join(", ")})`,
    );
  }

  const health = informer.health();
  const numbers = {
    objects: options.objects,
    namespaces: options.namespaces,
    creates: ops.creates,
    updates: ops.updates,
    deletes: ops.deletes,
    writeRetries: ops.retries,
    eventsDelivered: eventCount,
    deletedWhileCutOff: neverSeen,
    connectionResets: proxy.stats.resets,
    blackHoles: proxy.stats.blackHoles,
    blackHoleMs,
    idleTimeoutMs: options.idleTimeoutMs,
    reconnects: health.reconnects,
    relists: health.relists - relistsBefore,
    apiServerDowntimeMs: restartDowntimeMs,
    cachedObjects: health.cachedObjects,
    listedObjects: server.size,
    convergeAfterLastWriteMs: convergeMs,
    totalMs: Date.now() - started,
  };
  log(`[fault] ${JSON.stringify(numbers)}`);
  for (const violation of violations.slice(0, 5)) log(`[fault] violation: ${violation}`);
  await informer.stop();
  await informerClient.close();
  await proxy.close();
  await writer.close();
  return { numbers, violations };
}
