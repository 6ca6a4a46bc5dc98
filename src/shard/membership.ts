import { microTime } from "../controller/index.ts";
import { type ApiClient, ConflictError, NotFoundError } from "../k8s/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { SHARD_LABEL, SHARD_LEASE_DURATION_MS, SHARD_LEASE_LABEL, SHARD_RENEW_PERIOD_MS } from "./constants.ts";

export interface ShardLeaseOptions {
  readonly namespace: string;
  /** The module's object prefix (`capstan-<uuid>`): Lease names start with it and its label carries it. */
  readonly prefix: string;
  /** This replica's shard id: a label value (letters, digits, `-_.`, at most 63). */
  readonly id: string;
  readonly leaseDurationMs?: number;
  readonly renewPeriodMs?: number;
  readonly logger?: Logger;
}

interface LeaseObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}

const leasesPath = (namespace: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Throws a clear error when `id` cannot be a shard id (it becomes a label value and part of a Lease name). */
export function checkShardId(id: string): void {
  if (!LABEL_VALUE.test(id) || /[A-Z_]/.test(id)) {
    throw new RangeError(
      `shard id "${id}" is not usable: use lowercase letters, digits, '-' and '.', at most 63 characters, starting and ending alphanumeric`,
    );
  }
}

/**
 * This replica's membership: one Lease `<prefix>-shard-<id>` in the module namespace, labelled
 * `capstan.dev/shard-lease=<prefix>` and `capstan.dev/shard=<id>`, renewed every `renewPeriodMs`.
 * `leave()` deletes it, so the assigner moves the shard's objects at once instead of after expiry.
 */
export class ShardLease {
  readonly #client: ApiClient;
  readonly #options: ShardLeaseOptions;
  readonly #log: Logger;
  readonly name: string;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #renewedAt = 0;

  constructor(client: ApiClient, options: ShardLeaseOptions) {
    checkShardId(options.id);
    this.#client = client;
    this.#options = options;
    this.name = `${options.prefix}-shard-${options.id}`;
    this.#log = (options.logger ?? Log).child({ component: "shard", shard: options.id });
  }

  /** The Lease duration in milliseconds. */
  get durationMs(): number {
    return this.#options.leaseDurationMs ?? SHARD_LEASE_DURATION_MS;
  }

  /**
   * Whether this replica may still act as its shard: its last successful renew is recent enough
   * that no observer can have seen the Lease expire (a renew deadline of 2/3 of the duration, as
   * leader election's 10 s of 15 s).
   */
  holds(now = Date.now()): boolean {
    return !this.#stopped && now - this.#renewedAt < (this.durationMs * 2) / 3;
  }

  /** Creates or renews the Lease once, then keeps renewing it. */
  async join(): Promise<void> {
    await this.#renew();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#renew().then(
        () => this.#schedule(),
        (error: unknown) => {
          this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, "shard lease renew failed");
          this.#schedule();
        },
      );
    }, this.#options.renewPeriodMs ?? SHARD_RENEW_PERIOD_MS);
  }

  async #renew(): Promise<void> {
    const now = Date.now();
    await this.#write(now);
    this.#renewedAt = now;
  }

  async #write(now: number): Promise<void> {
    const { namespace, prefix, id } = this.#options;
    const body: LeaseObject = {
      metadata: { name: this.name, namespace, labels: { [SHARD_LEASE_LABEL]: prefix, [SHARD_LABEL]: id } },
      spec: {
        holderIdentity: id,
        leaseDurationSeconds: Math.ceil((this.#options.leaseDurationMs ?? SHARD_LEASE_DURATION_MS) / 1000),
        renewTime: microTime(now),
      },
    };
    try {
      await this.#client.request({
        method: "PATCH",
        path: `${leasesPath(namespace)}/${encodeURIComponent(this.name)}`,
        contentType: "application/merge-patch+json",
        body: { metadata: { labels: body.metadata.labels }, spec: body.spec },
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      try {
        await this.#client.request({
          method: "POST",
          path: leasesPath(namespace),
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            ...body,
            spec: { ...body.spec, acquireTime: microTime(now) },
          },
        });
      } catch (created) {
        if (!(created instanceof ConflictError)) throw created;
      }
    }
  }

  /** Stops renewing and deletes the Lease (graceful leave). */
  async leave(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    try {
      await this.#client.request({
        method: "DELETE",
        path: `${leasesPath(this.#options.namespace)}/${encodeURIComponent(this.name)}`,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  /** Stops renewing without deleting (the Lease expires as after a crash); for tests. */
  abandon(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}

/**
 * The live members as one observer (the assigner) sees them. A shard is live while its Lease's
 * renewTime keeps changing: expiry counts from when *this* process saw the last change, so clock
 * skew between replicas cannot expire a live shard early.
 */
export class ShardView {
  readonly #client: ApiClient;
  readonly #namespace: string;
  readonly #prefix: string;
  readonly #seen = new Map<string, { renewTime: string; observedAt: number; durationMs: number }>();

  constructor(client: ApiClient, namespace: string, prefix: string) {
    this.#client = client;
    this.#namespace = namespace;
    this.#prefix = prefix;
  }

  /** Lists the shard Leases and returns the ids of the live shards, sorted. */
  async refresh(now = Date.now()): Promise<string[]> {
    const list = await this.#client.request<{ items: LeaseObject[] }>({
      path: `${leasesPath(this.#namespace)}?labelSelector=${encodeURIComponent(`${SHARD_LEASE_LABEL}=${this.#prefix}`)}`,
    });
    const present = new Set<string>();
    for (const lease of list.items) {
      const id = lease.metadata.labels?.[SHARD_LABEL] ?? lease.spec.holderIdentity;
      if (!id) continue;
      present.add(id);
      const renewTime = lease.spec.renewTime ?? lease.spec.acquireTime ?? "";
      const previous = this.#seen.get(id);
      const durationMs = (lease.spec.leaseDurationSeconds ?? SHARD_LEASE_DURATION_MS / 1000) * 1000;
      if (!previous || previous.renewTime !== renewTime) this.#seen.set(id, { renewTime, observedAt: now, durationMs });
    }
    for (const id of this.#seen.keys()) if (!present.has(id)) this.#seen.delete(id);
    return [...this.#seen.entries()]
      .filter(([, seen]) => seen.observedAt + seen.durationMs > now)
      .map(([id]) => id)
      .sort();
  }
}

/** A shard id from a Pod or host name: lowercase, other characters as '-', at most 63, alphanumeric ends. */
export function shardIdFrom(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")
    .slice(0, 63)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  checkShardId(id);
  return id;
}
