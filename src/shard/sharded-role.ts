import {
  type CapabilityBindings,
  type ControllerRole,
  type ControllerRoleOptions,
  startControllerRole,
} from "../controller/index.ts";
import { type InformerScope, scopeKey } from "../informer/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { Log } from "../telemetry/index.ts";
import { Assigner } from "./assigner.ts";
import { ShardLease, ShardView } from "./membership.ts";
import { shardMetrics } from "./metrics.ts";
import { ShardedSources } from "./sharded-source.ts";

/** How often a replica checks that it still holds its shard Lease (and updates its gauges). */
const FENCE_CHECK_MS = 250;

export interface ShardOptions {
  /** This replica's shard id (a label value); every replica of the module needs its own. */
  readonly id: string;
  /** The module namespace, where the shard Leases live. */
  readonly namespace: string;
  /** The module's object prefix, `capstan-<uuid>`: names and selects the shard Leases. */
  readonly prefix: string;
  readonly leaseDurationMs?: number;
  readonly renewPeriodMs?: number;
  readonly assignerPeriodMs?: number;
}

export interface ShardedControllerRole extends ControllerRole {
  readonly shard: string;
  /** The assigner while this replica leads. */
  readonly assigner: () => Assigner | undefined;
  /** Stops renewing the shard Lease and exits nothing else: the shard then dies as in a crash (tests). */
  abandonLease(): void;
}

/** Kind and namespace of every object a Watch, Reconcile or Finalize binding may see: what the assigner labels. */
export function shardScopes(capabilities: readonly CapabilityBindings[]): Pick<InformerScope, "kind" | "namespace">[] {
  const scopes = new Map<string, Pick<InformerScope, "kind" | "namespace">>();
  for (const capability of capabilities) {
    for (const binding of capability.bindings) {
      if (binding.action !== "watch" && binding.action !== "reconcile" && binding.action !== "finalize") continue;
      const namespaces = binding.filters.namespaces.length > 0 ? binding.filters.namespaces : capability.namespaces;
      const unique = [...new Set(namespaces)];
      const list = binding.kind.namespaced && unique.length > 0 ? unique : [undefined];
      for (const namespace of list) {
        const scope = { kind: binding.kind, ...(namespace ? { namespace } : {}) };
        scopes.set(scopeKey(scope), scope);
      }
    }
  }
  // A scope over every namespace covers the single-namespace ones of the same kind.
  const all = [...scopes.values()];
  return all.filter(
    (scope) =>
      scope.namespace === undefined ||
      !all.some(
        (other) => other.namespace === undefined && scopeKey({ kind: other.kind }) === scopeKey({ kind: scope.kind }),
      ),
  );
}

/**
 * A controller replica that owns one shard: it holds its shard Lease, its informers select only
 * objects labelled `capstan.dev/shard=<id>`, and it runs callbacks on them whether or not it leads.
 * Leader election still picks one replica for schedules (`onLeadershipChange`) and for the
 * assigner, which labels every object with its shard and moves objects when shards join or leave.
 */
export async function startShardedControllerRole(
  client: ApiClient,
  options: ControllerRoleOptions & { readonly shard: ShardOptions },
): Promise<ShardedControllerRole> {
  const { shard } = options;
  const logger = (options.logger ?? Log).child({ component: "shard", shard: shard.id });
  const lease = new ShardLease(client, {
    namespace: shard.namespace,
    prefix: shard.prefix,
    id: shard.id,
    logger,
    ...(shard.leaseDurationMs ? { leaseDurationMs: shard.leaseDurationMs } : {}),
    ...(shard.renewPeriodMs ? { renewPeriodMs: shard.renewPeriodMs } : {}),
  });
  const sources = new ShardedSources({
    client,
    id: shard.id,
    logger,
    ...(options.informer ? { informer: options.informer } : {}),
  });
  const scopes = shardScopes(options.capabilities);
  let assigner: Assigner | undefined;
  const lead = (leading: boolean): void => {
    if (leading && !assigner) {
      assigner = new Assigner({
        client,
        scopes,
        view: new ShardView(client, shard.namespace, shard.prefix),
        logger,
        ...(shard.assignerPeriodMs ? { periodMs: shard.assignerPeriodMs } : {}),
      });
      assigner.start();
      logger.info({ scopes: scopes.length }, "shard assigner started");
    } else if (!leading && assigner) {
      void assigner.stop();
      assigner = undefined;
    }
  };
  await lease.join();
  const role = await startControllerRole(client, {
    ...options,
    sources: sources.factory,
    everyReplicaActive: true,
    onLeadershipChange: (leading) => {
      lead(leading);
      options.onLeadershipChange?.(leading);
    },
  });
  const { reconcileQueue, watchQueue } = role.controller;
  sources.setBusyCheck((namespace, name) => {
    const suffix = `|${namespace}/${name}`;
    const match = (key: string) => key.endsWith(suffix);
    // Items already queued run here first (Watch and `every` Reconcile carry their event, so they would
    // still run after the handover); a level-triggered item waiting for a timer finds the object gone.
    return reconcileQueue.isRunningOrReady(match) || watchQueue.isRunningOrReady(match);
  });
  // Fencing: a replica that could not renew its shard Lease in time stops starting callbacks (running
  // ones finish) before the assigner can see the Lease expire and move its objects; it resumes once a
  // renew succeeds again.
  let fenced = false;
  const gauges = setInterval(() => {
    const holds = lease.holds();
    if (!holds && !fenced) {
      fenced = true;
      logger.warn("shard lease not renewed in time: callbacks paused until it is");
      reconcileQueue.pause();
      watchQueue.pause();
    } else if (holds && fenced) {
      fenced = false;
      logger.info("shard lease renewed: callbacks resumed");
      reconcileQueue.resume();
      watchQueue.resume();
    }
    const owned = role.controller.sources.reduce((sum, source) => sum + source.health().cachedObjects, 0);
    shardMetrics.objectsOwned.set({ shard: shard.id }, owned);
    shardMetrics.queueDepth.set({ shard: shard.id }, reconcileQueue.depth + watchQueue.depth);
  }, FENCE_CHECK_MS);
  gauges.unref();
  return {
    ...role,
    shard: shard.id,
    assigner: () => assigner,
    abandonLease: () => lease.abandon(),
    async shutdown() {
      clearInterval(gauges);
      await role.shutdown();
      lead(false);
      sources.stop();
      await lease.leave();
    },
  };
}
