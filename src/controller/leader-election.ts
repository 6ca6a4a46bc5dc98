import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ApiClient } from "../k8s/index.ts";
import { ConflictError, NotFoundError } from "../k8s/index.ts";
import { Log, type Logger } from "../telemetry/index.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/index.ts";
import { leaderMetrics } from "./leader-metrics.ts";
import { claim, heldByOtherUntil, type Lease, type ObservedLease, observe, released } from "./lease-record.ts";

export interface LeaderElectionOptions {
  readonly client: ApiClient;
  readonly namespace: string;
  /** The Lease's name; one per module and role. */
  readonly name: string;
  /**
   * Unique per replica. Default `electionIdentity()`: the host name plus a random suffix. The runtime
   * passes `electionIdentity(podName)` with the Downward API pod name.
   */
  readonly identity?: string;
  /** How long a standby waits after the lease last changed before taking over. Default 15 s (client-go). */
  readonly leaseDurationMs?: number;
  /** A leader that has not renewed for this long steps down. Default 10 s; must be below the lease duration. */
  readonly renewDeadlineMs?: number;
  /** How often the leader renews and a standby checks. Default 2 s. */
  readonly retryPeriodMs?: number;
  /** Called when this replica becomes leader; the signal aborts when it stops leading. */
  readonly onStartedLeading?: (signal: AbortSignal) => void | Promise<void>;
  readonly onStoppedLeading?: () => void | Promise<void>;
  /** Called whenever the observed holder changes (`""` when nobody holds the lease). */
  readonly onNewLeader?: (identity: string) => void;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface LeaderElectionStatus {
  readonly identity: string;
  readonly leading: boolean;
  /** The holder this replica last saw ("" when none). */
  readonly leader: string;
  /** Local time of the last successful renew while leading. */
  readonly lastRenewAt: number | undefined;
}

/** A replica's identity in the Lease: its pod name (default: the host name) plus a random suffix. */
export function electionIdentity(podName?: string): string {
  return `${podName ?? hostname()}_${randomUUID().slice(0, 8)}`;
}

/**
 * Lease-based leader election on `coordination.k8s.io/v1`: one replica leads, the others poll
 * and take over when the lease expires. Every write carries the resourceVersion it was computed
 * from, so two candidates can never both win; a 409 means someone else wrote first, and the
 * elector re-reads before deciding again. `release()` hands the lease over at once.
 */
export class LeaderElector {
  readonly identity: string;
  readonly #client: ApiClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: LeaderElectionOptions;
  #observed: ObservedLease | undefined;
  #leading = false;
  #lastRenewAt: number | undefined;
  #leadership: AbortController | undefined;
  #timer: TimerHandle | undefined;
  #deadline: TimerHandle | undefined;
  #running = false;
  #tick: Promise<void> = Promise.resolve();
  #leader = "";
  /** `<namespace>/<name>`, for logs and metrics. */
  readonly #lease: string;

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.identity = options.identity ?? electionIdentity();
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.#clock = options.clock ?? systemClock;
    this.#lease = `${this.#namespace}/${this.#name}`;
    this.#log = (options.logger ?? Log).child({ lease: this.#lease, identity: this.identity });
    leaderMetrics.isLeader.set({ lease: this.#lease }, 0);
    if (this.#leaseDurationMs % 1000 !== 0 || this.#leaseDurationMs < 1000) {
      throw new RangeError(
        `leaseDurationMs must be a whole number of seconds (the Lease stores seconds), got ${this.#leaseDurationMs}`,
      );
    }
    if (!(this.#renewDeadlineMs < this.#leaseDurationMs && this.#retryPeriodMs < this.#renewDeadlineMs)) {
      throw new RangeError(
        `leader election needs retryPeriodMs < renewDeadlineMs < leaseDurationMs, got ${this.#retryPeriodMs} / ${this.#renewDeadlineMs} / ${this.#leaseDurationMs}`,
      );
    }
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  status(): LeaderElectionStatus {
    return { identity: this.identity, leading: this.#leading, leader: this.#leader, lastRenewAt: this.#lastRenewAt };
  }

  /** Starts competing for the lease; returns at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /**
   * Stops competing. A leader first stops acting (`onStoppedLeading` is awaited), then clears the
   * holder so a standby takes over on its next check instead of waiting for the lease to expire.
   * Call it on SIGTERM.
   */
  async release(): Promise<void> {
    this.#running = false;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    if (!this.#leading) return;
    const last = this.#observed?.lease;
    await this.#stepDown("released");
    for (let attempt = 0; last && attempt < 3; attempt++) {
      const lease = attempt === 0 ? last : await this.#get();
      if (!lease || lease.spec.holderIdentity !== this.identity) return;
      try {
        await this.#put({ ...lease, spec: released(lease.spec, this.#clock.now()) });
        this.#log.info("released the lease");
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) {
          this.#log.warn({ err: String(error) }, "could not release the lease; standbys will wait for it to expire");
          return;
        }
      }
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#tick = this.#round();
    }, delayMs);
  }

  async #round(): Promise<void> {
    // Rounds start every retry period (not a period after the last one ended), so a standby sees a
    // renew at most one period late, and it checks again right when the holder's lease runs out.
    const startedAt = this.#clock.now();
    let until: number | undefined;
    try {
      until = await this.#tryAcquireOrRenew();
    } catch (error) {
      this.#log.warn({ err: String(error) }, this.#leading ? "could not renew the lease" : "could not read the lease");
    }
    const now = this.#clock.now();
    let next = Math.max(0, startedAt + this.#retryPeriodMs - now);
    if (until !== undefined) next = Math.min(next, Math.max(0, until - now + 10));
    this.#schedule(next);
  }

  /** One attempt. Returns when another holder's lease expires (to check again right then), or undefined. */
  async #tryAcquireOrRenew(): Promise<number | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = this.#clock.now();
      const lease = await this.#get();
      if (!lease) {
        if (await this.#create(now)) return undefined;
        continue;
      }
      this.#observed = observe(this.#observed, lease, now);
      this.#noteLeader(lease.spec.holderIdentity ?? "");
      const until = heldByOtherUntil(this.#observed, this.identity);
      if (until !== undefined && until > now) {
        if (this.#leading) await this.#stepDown(`lease taken by ${lease.spec.holderIdentity}`);
        return until;
      }
      try {
        const written = await this.#put({
          ...lease,
          spec: claim(lease.spec, this.identity, this.#leaseDurationMs / 1000, now),
        });
        this.#observed = observe(this.#observed, written, now);
        this.#renewed(now);
        return undefined;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        this.#log.debug("lease changed under us (409); reading it again");
      }
    }
    return undefined;
  }

  async #create(now: number): Promise<boolean> {
    const lease: Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.#name, namespace: this.#namespace },
      spec: claim({}, this.identity, this.#leaseDurationMs / 1000, now),
    };
    try {
      const created = await this.#client.request<Lease>({ method: "POST", path: this.#collectionPath(), body: lease });
      this.#observed = observe(undefined, created, now);
      this.#noteLeader(this.identity);
      this.#renewed(now);
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  #renewed(now: number): void {
    this.#lastRenewAt = now;
    this.#noteLeader(this.identity);
    if (this.#deadline) this.#clock.clearTimeout(this.#deadline);
    this.#deadline = this.#clock.setTimeout(() => {
      this.#deadline = undefined;
      void this.#stepDown(`no renew within ${this.#renewDeadlineMs} ms`);
    }, this.#renewDeadlineMs);
    if (this.#leading) return;
    this.#leading = true;
    leaderMetrics.isLeader.set({ lease: this.#lease }, 1);
    this.#leadership = new AbortController();
    this.#log.info("became leader");
    void this.#callback("onStartedLeading", () =>
      this.#options.onStartedLeading?.(this.#leadership?.signal ?? AbortSignal.abort()),
    );
  }

  async #stepDown(reason: string): Promise<void> {
    if (this.#deadline) this.#clock.clearTimeout(this.#deadline);
    this.#deadline = undefined;
    if (!this.#leading) return;
    this.#leading = false;
    leaderMetrics.isLeader.set({ lease: this.#lease }, 0);
    this.#leadership?.abort(new Error(`leadership lost: ${reason}`));
    this.#log.warn({ reason }, "stopped leading");
    await this.#callback("onStoppedLeading", () => this.#options.onStoppedLeading?.());
  }

  #noteLeader(identity: string): void {
    if (identity === this.#leader) return;
    this.#leader = identity;
    if (identity) leaderMetrics.changes.inc({ lease: this.#lease });
    this.#options.onNewLeader?.(identity);
  }

  async #callback(name: string, run: () => void | Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.#log.error({ err: String(error) }, `${name} threw`);
    }
  }

  async #get(): Promise<Lease | undefined> {
    try {
      return await this.#client.request<Lease>({ path: this.#objectPath(), signal: this.#requestSignal() });
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  #put(lease: Lease): Promise<Lease> {
    return this.#client.request<Lease>({
      method: "PUT",
      path: this.#objectPath(),
      body: lease,
      signal: this.#requestSignal(),
    });
  }

  /** A request must not outlive the renew deadline, or a hung connection could keep a stale leader acting. */
  #requestSignal(): AbortSignal {
    return AbortSignal.timeout(this.#renewDeadlineMs);
  }

  #collectionPath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#namespace)}/leases`;
  }

  #objectPath(): string {
    return `${this.#collectionPath()}/${encodeURIComponent(this.#name)}`;
  }
}
