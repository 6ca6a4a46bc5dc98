import type { InformerHealth } from "../informer/index.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/index.ts";

export interface HealthCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What `/readyz` and `/healthz` answer: ok only when every check is. */
export interface HealthReport {
  readonly ok: boolean;
  readonly checks: readonly HealthCheck[];
}

export interface ReadinessOptions {
  /**
   * A watch that has received nothing (no event, no bookmark) for longer than this is stale. The
   * API server sends a bookmark about every minute, so the default of 120 s means two were missed.
   */
  readonly staleAfterSeconds?: number;
}

/**
 * Readiness of a set of informers: every one has its initial list, is not stopped, and has
 * heard from the API server within the stale threshold. "Process alive" is not enough.
 */
export function informerReadiness(informers: readonly InformerHealth[], options: ReadinessOptions = {}): HealthReport {
  const staleAfter = options.staleAfterSeconds ?? 120;
  const checks = informers.map((health): HealthCheck => {
    const name = `informer ${[health.kind, health.namespace, health.labelSelector, health.fieldSelector].filter(Boolean).join(" ")}`;
    const age = health.lastEventAgeSeconds;
    if (health.state === "stopped") return { name, ok: false, detail: "stopped" };
    if (!health.synced) return { name, ok: false, detail: `not synced (${health.state}${errorSuffix(health)})` };
    if (health.stalled === "stream") {
      return {
        name,
        ok: false,
        detail: `stale: the watch stalled (silent past its idle timeout while the event loop was free) ${(health.stalledSeconds ?? 0).toFixed(0)} s ago; reconnecting (${health.state}${errorSuffix(health)})`,
      };
    }
    if (health.stalled === "delivery") {
      return {
        name,
        ok: false,
        detail: `stalled: ${health.pendingEvents} events waiting and no subscriber call completed for ${(health.stalledSeconds ?? 0).toFixed(0)} s`,
      };
    }
    if (age === undefined || age > staleAfter) {
      return {
        name,
        ok: false,
        detail: `stale: nothing from the API server for ${age?.toFixed(0) ?? "ever"} s (${health.state}${errorSuffix(health)})`,
      };
    }
    return { name, ok: true, detail: `synced, last heard ${age.toFixed(1)} s ago` };
  });
  return report(checks);
}

function errorSuffix(health: InformerHealth): string {
  return health.lastError ? `; last error: ${health.lastError}` : "";
}

export function report(checks: readonly HealthCheck[]): HealthReport {
  return { ok: checks.every((check) => check.ok), checks };
}

export interface LivenessOptions {
  /** Heartbeat period. Default 1 s. */
  readonly intervalMs?: number;
  /** A heartbeat later than this means the event loop was blocked. Default 10 s. */
  readonly maxLagMs?: number;
  /** How long a blocked loop keeps `/healthz` failing after it recovers. Default 30 s. */
  readonly rememberMs?: number;
  readonly clock?: Clock;
}

/**
 * Detects a wedged process: a heartbeat timer that fires late means the event loop was blocked
 * (a CPU-bound callback, a synchronous loop). A late beat keeps liveness failing for `rememberMs`
 * so that a probe answered right after the block still sees it; a loop blocked for good is seen
 * by the probe timing out, which Kubernetes also counts as a failure.
 */
export class EventLoopMonitor {
  readonly #intervalMs: number;
  readonly #maxLagMs: number;
  readonly #rememberMs: number;
  readonly #clock: Clock;
  #lastBeat = 0;
  #lastBlockAt: number | undefined;
  #lastBlockMs = 0;
  #timer: TimerHandle | undefined;

  constructor(options: LivenessOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#maxLagMs = options.maxLagMs ?? 10_000;
    this.#rememberMs = options.rememberMs ?? 30_000;
    this.#clock = options.clock ?? systemClock;
  }

  start(): void {
    if (this.#timer) return;
    this.#lastBeat = this.#clock.now();
    this.#beat();
  }

  stop(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  check(): HealthCheck {
    const now = this.#clock.now();
    const sinceBeat = now - this.#lastBeat - this.#intervalMs;
    if (this.#timer && sinceBeat > this.#maxLagMs) {
      return { name: "event loop", ok: false, detail: `blocked for ${sinceBeat} ms` };
    }
    if (this.#lastBlockAt !== undefined && now - this.#lastBlockAt <= this.#rememberMs) {
      return {
        name: "event loop",
        ok: false,
        detail: `was blocked for ${this.#lastBlockMs} ms ${now - this.#lastBlockAt} ms ago`,
      };
    }
    return { name: "event loop", ok: true, detail: "responsive" };
  }

  #beat(): void {
    this.#timer = this.#clock.setTimeout(() => {
      const now = this.#clock.now();
      const lag = now - this.#lastBeat - this.#intervalMs;
      if (lag > this.#maxLagMs) {
        this.#lastBlockAt = now;
        this.#lastBlockMs = lag;
      }
      this.#lastBeat = now;
      this.#beat();
    }, this.#intervalMs);
  }
}

export interface WorkCheckOptions {
  /** A callback running longer than this counts as hung. Default: no limit (only reported). */
  readonly maxCallbackSeconds?: number;
}

/** Liveness from a queue's longest-running callback, for modules that want hung callbacks to restart the pod. */
export function longestRunningCheck(
  name: string,
  longestRunningSeconds: number,
  options: WorkCheckOptions = {},
): HealthCheck {
  const limit = options.maxCallbackSeconds;
  const ok = limit === undefined || longestRunningSeconds <= limit;
  return {
    name,
    ok,
    detail: `longest-running callback ${longestRunningSeconds.toFixed(1)} s${limit === undefined ? "" : ` (limit ${limit} s)`}`,
  };
}
