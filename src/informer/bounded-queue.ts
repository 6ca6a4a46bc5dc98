/**
 * A FIFO between one producer (the reflector) and one consumer (the informer's delivery loop).
 * `push` waits while the queue is full, which is how the watch stream stops being read while
 * handlers are behind. `close` wakes everyone and makes `take` return undefined.
 */
export class BoundedQueue<T> {
  readonly #capacity: number;
  #items: T[] = [];
  #head = 0;
  #closed = false;
  #spaceWaiters: (() => void)[] = [];
  #itemWaiter: (() => void) | undefined;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new Error(`queue capacity must be at least 1 (got ${capacity})`);
    this.#capacity = capacity;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Appends an item, first waiting for room. Items pushed after `close` are dropped. */
  async push(item: T): Promise<void> {
    while (this.length >= this.#capacity && !this.#closed) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    if (this.#closed) return;
    this.#items.push(item);
    this.#wakeConsumer();
  }

  /** Puts an item at the front without waiting for room (replays for new subscribers). */
  pushFront(item: T): void {
    if (this.#closed) return;
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
    this.#wakeConsumer();
  }

  /** The next item, waiting for one; undefined once closed. */
  async take(): Promise<T | undefined> {
    while (this.length === 0) {
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => {
        this.#itemWaiter = resolve;
      });
    }
    if (this.#closed) return undefined;
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined as T;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.length < this.#capacity) this.#wakeProducers();
    return item;
  }

  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#wakeConsumer();
    this.#wakeProducers();
  }

  #wakeConsumer(): void {
    const waiter = this.#itemWaiter;
    this.#itemWaiter = undefined;
    waiter?.();
  }

  #wakeProducers(): void {
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const wake of waiters) wake();
  }
}
