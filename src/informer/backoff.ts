/**
 * Exponential backoff with "equal jitter": the n-th failure waits between half and all of
 * `min(max, initial * 2^n)`, so retries of many clients spread out but never shrink to zero.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: { initialMs?: number; maxMs?: number; random?: () => number } = {}) {
    this.#initialMs = options.initialMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#random = options.random ?? Math.random;
    if (this.#initialMs <= 0 || this.#maxMs < this.#initialMs) {
      throw new Error(
        `invalid backoff: initialMs must be > 0 and maxMs >= initialMs (got ${this.#initialMs}, ${this.#maxMs})`,
      );
    }
  }

  get failures(): number {
    return this.#failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
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
