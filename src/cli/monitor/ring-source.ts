/**
 * Where `capstan monitor --ring` reads the ring from: the shard Leases in the module's namespace
 * (membership: who renews, how long ago) and the controller replicas' /metrics (objects owned, queue
 * depth, moves), through the API server's Pod proxy or, for replicas run as host processes, from
 * URLs given on the command line.
 */
import { Labels, METRICS_PATH, SERVE_PORT } from "../../contract/index.ts";
import type { ApiClient } from "../../k8s/index.ts";
import { namesOf } from "../../model/index.ts";
import {
  mergeShardSamples,
  parseShardMetrics,
  type RingView,
  renderRing,
  type ShardMember,
  type ShardSample,
} from "./ring.ts";

export interface RingSourceOptions {
  readonly namespace: string;
  /** Label selector of the module's shard Leases. */
  readonly leaseSelector: string;
  /** The Lease label that names its shard; without it, the Lease's holder identity. */
  readonly shardLabel: string;
  /** Label selector of the module's controller Pods, whose metrics are read through the Pod proxy. */
  readonly podSelector: string;
  /** The port the controller serves /metrics on (plain HTTP). */
  readonly metricsPort: number;
  readonly metricsPath: string;
  /** Read these URLs instead of the Pods (replicas running as host processes). */
  readonly metricsUrls?: readonly string[];
}

interface LeaseObject {
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec?: {
    readonly holderIdentity?: string;
    readonly renewTime?: string;
    readonly acquireTime?: string;
    readonly leaseDurationSeconds?: number;
  };
}

interface PodObject {
  readonly metadata: { readonly name: string };
  readonly status?: { readonly phase?: string };
}

/** One reading of the ring: Leases and every replica's metrics. */
export async function readRing(
  client: ApiClient,
  options: RingSourceOptions,
  previousMoves?: ReadonlyMap<string, number>,
): Promise<RingView> {
  const leases = await client.request<{ items: LeaseObject[] }>({
    path: `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`,
    query: { labelSelector: options.leaseSelector },
  });
  const members: ShardMember[] = leases.items.map((lease) => {
    const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    return {
      shard: lease.metadata.labels?.[options.shardLabel] ?? lease.spec?.holderIdentity ?? lease.metadata.name,
      ...(renewed ? { renewedAt: Date.parse(renewed) } : {}),
      ...(lease.spec?.leaseDurationSeconds !== undefined ? { durationSeconds: lease.spec.leaseDurationSeconds } : {}),
    };
  });
  const samples: ShardSample[] = [];
  const unreachable: string[] = [];
  const scrape = async (what: string, read: () => Promise<string>) => {
    try {
      samples.push(...parseShardMetrics(await read()));
    } catch (error) {
      unreachable.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  if (options.metricsUrls) {
    await Promise.all(
      options.metricsUrls.map((url) =>
        scrape(url, async () => {
          const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
          if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
          return response.text();
        }),
      ),
    );
  } else {
    const pods = await client.request<{ items: PodObject[] }>({
      path: `/api/v1/namespaces/${options.namespace}/pods`,
      query: { labelSelector: options.podSelector },
    });
    await Promise.all(
      pods.items
        .filter((pod) => pod.status?.phase === "Running")
        .map((pod) =>
          scrape(`pod ${pod.metadata.name}`, () =>
            client.request<string>({
              path: `/api/v1/namespaces/${options.namespace}/pods/${pod.metadata.name}:${options.metricsPort}/proxy${options.metricsPath}`,
              accept: "text/plain",
              signal: AbortSignal.timeout(5_000),
            }),
          ),
        ),
    );
  }
  return {
    members,
    samples: mergeShardSamples(samples),
    ...(previousMoves ? { previousMoves } : {}),
    unreachable,
    now: Date.now(),
  };
}

/**
 * Draws the ring every `intervalMs` until the signal aborts: on a terminal the table is redrawn in
 * place, otherwise each reading is printed after the last. A failed reading is said and retried.
 */
export async function followRing(
  client: ApiClient,
  options: RingSourceOptions,
  output: { readonly write: (text: string) => void; readonly redraw: boolean; readonly say: (line: string) => void },
  signal: AbortSignal,
  intervalMs = 2_000,
): Promise<void> {
  let previousMoves: ReadonlyMap<string, number> | undefined;
  let failing = false;
  while (!signal.aborted) {
    try {
      const view = await readRing(client, options, previousMoves);
      previousMoves = new Map(
        [...view.samples].flatMap(([shard, s]) => (s.moves === undefined ? [] : [[shard, s.moves]])),
      );
      output.write(`${output.redraw ? "\x1b[H\x1b[2J" : ""}${renderRing(view)}${output.redraw ? "" : "\n"}`);
      if (failing) output.say(`reading the ring in ${options.namespace} again`);
      failing = false;
    } catch (error) {
      if (!failing)
        output.say(
          `reading the ring in ${options.namespace} failed: ${error instanceof Error ? error.message : String(error)}; retrying`,
        );
      failing = true;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}

/** The shard Lease and object labels of a sharded module (docs/scaling.md). */
export const ShardLabels = {
  /** On each shard Lease: the module's object prefix (`capstan-<uuid>`). */
  lease: "capstan.dev/shard-lease",
  /** On each shard Lease, and on every object assigned to a shard: the shard's name. */
  shard: "capstan.dev/shard",
} as const;

/** `capstan monitor --ring`: the ring of a deployed module (or of host-process replicas), until stopped. */
export function followRingOfModule(
  client: ApiClient,
  target: { readonly module: string; readonly namespace: string; readonly metricsUrls?: readonly string[] | undefined },
  say: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const names = namesOf({ flavor: "capstan" });
  return followRing(
    client,
    {
      namespace: target.namespace,
      leaseSelector: `${ShardLabels.lease}=${names.objectPrefix(target.module)}`,
      shardLabel: ShardLabels.shard,
      podSelector: `${names.uuidLabel}=${target.module},${Labels.component}=controller`,
      metricsPort: SERVE_PORT,
      metricsPath: METRICS_PATH,
      ...(target.metricsUrls?.length ? { metricsUrls: target.metricsUrls } : {}),
    },
    { write: (text) => process.stdout.write(text), redraw: process.stdout.isTTY === true, say },
    signal,
  );
}
