/**
 * The growth of an exponential backoff: retry `n` (0 for the first) waits up to
 * `initialMs × multiplier^n`, never more than `maxMs`.
 */
export interface BackoffCurve {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
}

/** The un-jittered delay of retry `n` (0 for the first) on `curve`. */
export function backoffCeiling(curve: BackoffCurve, n: number): number {
  // Past ~1000 doublings the power is Infinity, and the cap still holds.
  return Math.min(curve.maxMs, curve.initialMs * curve.multiplier ** n);
}

/** "Equal jitter": between half and all of `ceiling`, so retries spread out but never shrink to zero. */
export function equalJitter(ceiling: number, random: () => number): number {
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Symmetric jitter: `ceiling` plus or minus up to `fraction` of it (0.2 means ±20 %). */
export function symmetricJitter(ceiling: number, fraction: number, random: () => number): number {
  return Math.round(ceiling * (1 + fraction * (2 * random() - 1)));
}

/**
 * A failure counter on a doubling curve with equal jitter: the n-th failure waits between half and
 * all of `min(maxMs, initialMs × 2^n)`. Used by the informer's reflector and the Store's writers.
 */
export class Backoff {
  readonly #curve: BackoffCurve;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: { initialMs?: number; maxMs?: number; random?: () => number } = {}) {
    this.#curve = { initialMs: options.initialMs ?? 500, multiplier: 2, maxMs: options.maxMs ?? 30_000 };
    this.#random = options.random ?? Math.random;
    const { initialMs, maxMs } = this.#curve;
    if (initialMs <= 0 || maxMs < initialMs) {
      throw new Error(`invalid backoff: initialMs must be > 0 and maxMs >= initialMs (got ${initialMs}, ${maxMs})`);
    }
  }

  get failures(): number {
    return this.#failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    const ceiling = backoffCeiling(this.#curve, this.#failures);
    this.#failures++;
    return equalJitter(ceiling, this.#random);
  }

  /** Records a failure the server asked to retry after `seconds` (429 Retry-After); never waits less than asked. */
  nextAfter(seconds: number): number {
    const jittered = this.next();
    return Math.max(seconds * 1000, Math.min(jittered, seconds * 1000 * 2));
  }

  reset(): void {
    this.#failures = 0;
  }
}
