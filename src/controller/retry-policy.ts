import { backoffCeiling, symmetricJitter } from "../time/index.ts";

/**
 * How long to wait before retrying a failed item. `attempt` is 1 for the first retry. Returning
 * `undefined` gives up: the item is dropped until its object changes again.
 */
export interface RetryPolicy {
  readonly name: string;
  delayMs(attempt: number, random: () => number): number | undefined;
}

export interface ExponentialBackoffOptions {
  /** Delay before the first retry. Default 500 ms. */
  readonly initialMs?: number;
  /** Growth per attempt. Default 2. */
  readonly multiplier?: number;
  /** Upper bound of any delay (before jitter). Default 60 s. */
  readonly maxMs?: number;
  /** Fraction of the delay added or removed at random: 0.2 means ±20 %. Default 0.2. */
  readonly jitter?: number;
  /** Give up after this many retries. Default: never. */
  readonly maxAttempts?: number;
}

/** `initial × multiplier^(attempt-1)`, capped, with symmetric jitter so failing items spread out. */
export class ExponentialBackoff implements RetryPolicy {
  readonly name = "exponential";
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
  readonly jitter: number;
  readonly maxAttempts: number;

  constructor(options: ExponentialBackoffOptions = {}) {
    this.initialMs = positive("initialMs", options.initialMs ?? 500);
    this.multiplier = positive("multiplier", options.multiplier ?? 2);
    this.maxMs = positive("maxMs", options.maxMs ?? 60_000);
    this.jitter = options.jitter ?? 0.2;
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
    if (this.jitter < 0 || this.jitter >= 1) throw new RangeError(`jitter must be in [0, 1), got ${this.jitter}`);
    if (this.multiplier < 1) throw new RangeError(`multiplier must be >= 1, got ${this.multiplier}`);
  }

  delayMs(attempt: number, random: () => number): number | undefined {
    if (attempt > this.maxAttempts) return undefined;
    return symmetricJitter(backoffCeiling(this, attempt - 1), this.jitter, random);
  }
}

/** The same delay every time. */
export class FixedInterval implements RetryPolicy {
  readonly name = "fixed";
  readonly intervalMs: number;
  readonly maxAttempts: number;

  constructor(options: { intervalMs: number; maxAttempts?: number }) {
    this.intervalMs = positive("intervalMs", options.intervalMs);
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  }

  delayMs(attempt: number): number | undefined {
    return attempt > this.maxAttempts ? undefined : this.intervalMs;
  }
}

/** Never retry: a failure is logged and counted, and the item waits for its next event (Pepr's Watch). */
export class NoRetry implements RetryPolicy {
  readonly name = "none";
  delayMs(): undefined {
    return undefined;
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
