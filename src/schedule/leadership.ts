/** Whether this replica may run schedules now. Injected, so tests and dev mode can decide it. */
export interface LeaderSignal {
  readonly isLeader: boolean;
  /** Calls `listener` whenever leadership changes; returns the unsubscribe function. */
  onChange(listener: (leading: boolean) => void): () => void;
}

/**
 * A `LeaderSignal` someone else flips: wire it to the controller's `LeaderElector`
 * (`onStartedLeading: () => leadership.set(true)`, `onStoppedLeading: () => leadership.set(false)`).
 */
export class Leadership implements LeaderSignal {
  readonly #listeners = new Set<(leading: boolean) => void>();
  #leading: boolean;

  constructor(leading = false) {
    this.#leading = leading;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  set(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    for (const listener of this.#listeners) listener(leading);
  }

  onChange(listener: (leading: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
