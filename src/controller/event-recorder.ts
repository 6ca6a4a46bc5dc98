import { Counter } from "prom-client";
import type { ApiClient, KubernetesObject } from "../k8s/index.ts";
import { NotFoundError } from "../k8s/index.ts";
import { registry } from "../telemetry/index.ts";
import { type Clock, systemClock } from "../time/index.ts";

export interface EventNote {
  /** `Normal` or `Warning`. */
  readonly type: string;
  readonly reason: string;
  readonly message?: string;
  readonly action?: string;
  readonly reportingComponent: string;
  readonly reportingInstance: string;
}

export interface EventRecorderOptions {
  /** Events one object may burst before being throttled. Default 25 (client-go). */
  readonly burst?: number;
  /** One more event per this many ms once the burst is spent. Default 5 min (client-go). */
  readonly refillMs?: number;
  /** Repeats of the same note within this window update one Event's count. Default 10 min. */
  readonly aggregateWindowMs?: number;
  /** Most objects (and notes) remembered; the oldest are forgotten first. Default 4096. */
  readonly maxTracked?: number;
  readonly clock?: Clock;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface Recorded {
  readonly namespace: string;
  readonly name: string;
  count: number;
  lastAt: number;
}

const eventMetrics = {
  written: new Counter({
    name: "capstan_events_written_total",
    help: "Kubernetes Events created or updated (count bumped)",
    labelNames: ["outcome"],
    registers: [registry],
  }),
  throttled: new Counter({
    name: "capstan_events_throttled_total",
    help: "Events dropped because their object exceeded its rate limit",
    registers: [registry],
  }),
};

/**
 * Writes core/v1 Events about objects the way client-go's recorder does: a repeat of the same
 * note bumps the existing Event's `count` instead of creating another, and each object has a
 * token bucket so a hot reconcile loop cannot flood the API server with Events.
 */
export class EventRecorder {
  readonly #client: ApiClient;
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  readonly #recorded = new Map<string, Recorded>();

  constructor(client: ApiClient, options: EventRecorderOptions = {}) {
    this.#client = client;
    this.#burst = options.burst ?? 25;
    this.#refillMs = options.refillMs ?? 300_000;
    this.#windowMs = options.aggregateWindowMs ?? 600_000;
    this.#maxTracked = options.maxTracked ?? 4096;
    this.#clock = options.clock ?? systemClock;
  }

  /** Records `note` about `object`. Returns what happened; `throttled` notes are dropped and counted. */
  async record(object: KubernetesObject, note: EventNote): Promise<"created" | "aggregated" | "throttled"> {
    const metadata = object.metadata ?? {};
    if (!metadata.name) throw new Error("an Event needs an object with metadata.name");
    const objectKey =
      metadata.uid ?? `${object.apiVersion}/${object.kind}/${metadata.namespace ?? ""}/${metadata.name}`;
    if (!this.#take(objectKey)) {
      eventMetrics.throttled.inc();
      return "throttled";
    }
    const now = this.#clock.now();
    const noteKey = JSON.stringify([objectKey, note.type, note.reason, note.message ?? "", note.reportingComponent]);
    const previous = this.#recorded.get(noteKey);
    if (previous && now - previous.lastAt <= this.#windowMs && (await this.#bump(previous, now))) {
      eventMetrics.written.inc({ outcome: "aggregated" });
      return "aggregated";
    }
    const namespace = metadata.namespace || "default";
    const created = await this.#client.request<KubernetesObject>({
      method: "POST",
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { namespace, generateName: `${metadata.name}.` },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: metadata.name,
          namespace: metadata.namespace,
          uid: metadata.uid,
          resourceVersion: metadata.resourceVersion,
        },
        type: note.type,
        reason: note.reason,
        message: note.message,
        action: note.action,
        count: 1,
        firstTimestamp: new Date(now).toISOString(),
        lastTimestamp: new Date(now).toISOString(),
        source: { component: note.reportingComponent, host: note.reportingInstance },
        reportingComponent: note.reportingComponent,
        reportingInstance: note.reportingInstance,
      },
    });
    this.#remember(this.#recorded, noteKey, { namespace, name: created.metadata?.name ?? "", count: 1, lastAt: now });
    eventMetrics.written.inc({ outcome: "created" });
    return "created";
  }

  /** Raises the count of an Event this recorder wrote; false when it is gone (expired) so a new one is made. */
  async #bump(recorded: Recorded, now: number): Promise<boolean> {
    try {
      await this.#client.request({
        method: "PATCH",
        path: `/api/v1/namespaces/${encodeURIComponent(recorded.namespace)}/events/${encodeURIComponent(recorded.name)}`,
        contentType: "application/merge-patch+json",
        body: { count: recorded.count + 1, lastTimestamp: new Date(now).toISOString() },
      });
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
    recorded.count++;
    recorded.lastAt = now;
    return true;
  }

  #take(objectKey: string): boolean {
    const now = this.#clock.now();
    const bucket = this.#buckets.get(objectKey) ?? { tokens: this.#burst, updatedAt: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.updatedAt) / this.#refillMs);
    bucket.updatedAt = now;
    this.#remember(this.#buckets, objectKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.#maxTracked) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
