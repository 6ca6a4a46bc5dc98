import type { KubernetesObject } from "../k8s/index.ts";
import { BoundedQueue } from "./bounded-queue.ts";
import { ObjectCache } from "./cache.ts";
import type { ReflectorSink } from "./reflector.ts";
import type { Indexers, InformerEvent, InformerHandler } from "./types.ts";

type WorkItem<T extends KubernetesObject> =
  | { readonly kind: "event"; readonly type: InformerEvent["type"]; readonly object: T }
  | { readonly kind: "replace"; readonly items: T[] }
  | { readonly kind: "replay"; readonly handler: InformerHandler<T>; readonly snapshot: T[] };

export interface DistributorOptions<T extends KubernetesObject> {
  /** Stop accepting work (the reflector waits) while this many items are queued. */
  readonly capacity: number;
  readonly indexers?: Indexers;
  readonly onHandlerError: (error: unknown, event: InformerEvent<T>) => void;
  readonly onSynced: () => void;
  /** Called whenever delivery moves on: an event handed to every subscriber, or a queued item done. */
  readonly onProgress?: () => void;
}

/**
 * The informer's single consumer: takes what the reflector learned, in order, applies it to the
 * cache, and hands each resulting event to every subscriber, waiting for them all before the next
 * event. The cache is updated just before delivery, so it never runs ahead of what subscribers were
 * told, and a late subscriber's replay (ADDED for everything cached) fits the events after it.
 */
export class Distributor<T extends KubernetesObject = KubernetesObject> {
  readonly cache: ObjectCache<T>;
  readonly #queue: BoundedQueue<WorkItem<T>>;
  readonly #subscribers = new Set<InformerHandler<T>>();
  readonly #options: DistributorOptions<T>;
  #synced = false;

  constructor(options: DistributorOptions<T>) {
    this.#options = options;
    this.cache = new ObjectCache<T>(options.indexers);
    this.#queue = new BoundedQueue(options.capacity);
  }

  /** Where the reflector writes; each call waits while the queue is full (backpressure). */
  readonly sink: ReflectorSink = {
    replace: (items) => this.#queue.push({ kind: "replace", items: items as T[] }),
    event: (type, object) => this.#queue.push({ kind: "event", type, object: object as T }),
  };

  get synced(): boolean {
    return this.#synced;
  }

  get pending(): number {
    return this.#queue.length;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  subscribe(handler: InformerHandler<T>): () => void {
    this.#subscribers.add(handler);
    // What the cache holds now was delivered before this subscriber existed: replay it first.
    if (this.cache.size > 0 || this.#synced) {
      this.#queue.pushFront({ kind: "replay", handler, snapshot: this.cache.list() });
    }
    return () => {
      this.#subscribers.delete(handler);
    };
  }

  /** Delivers until `close`. */
  async run(): Promise<void> {
    for (let item = await this.#queue.take(); item; item = await this.#queue.take()) {
      await this.#deliver(item);
      this.#options.onProgress?.();
    }
  }

  async #deliver(item: WorkItem<T>): Promise<void> {
    if (item.kind === "replay") {
      if (!this.#subscribers.has(item.handler)) return;
      for (const object of item.snapshot) await this.#call([item.handler], { type: "ADDED", object });
      return;
    }
    const targets = [...this.#subscribers];
    if (item.kind === "event") {
      const event = this.cache.apply(item.type, item.object);
      if (event) await this.#call(targets, event);
      return;
    }
    for (const event of this.cache.replace(item.items)) await this.#call(targets, event);
    if (!this.#synced) {
      this.#synced = true;
      this.#options.onSynced();
    }
  }

  close(): void {
    this.#queue.close();
  }

  async #call(handlers: InformerHandler<T>[], event: InformerEvent<T>): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const handler of handlers) {
      try {
        const result = handler(event);
        if (result instanceof Promise)
          pending.push(result.catch((error) => this.#options.onHandlerError(error, event)));
      } catch (error) {
        this.#options.onHandlerError(error, event);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    this.#options.onProgress?.();
  }
}
