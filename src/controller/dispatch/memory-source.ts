import type { InformerEventType, InformerHandler, InformerHealth } from "../../informer/index.ts";
import type { KubernetesObject, ResolvedKind } from "../../k8s/index.ts";
import type { ObjectSource } from "./object-source.ts";

/**
 * An in-memory stand-in for an informer: `apply` changes its cache and tells subscribers, as a
 * watch event would. For unit tests and the module test kit, together with `FakeClock`.
 */
export class MemorySource implements ObjectSource {
  readonly kind: ResolvedKind;
  readonly #objects = new Map<string, KubernetesObject>();
  readonly #handlers = new Set<InformerHandler<KubernetesObject>>();

  constructor(kind: ResolvedKind) {
    this.kind = kind;
  }

  subscribe(handler: InformerHandler<KubernetesObject>): () => void {
    this.#handlers.add(handler);
    for (const object of this.#objects.values()) void handler({ type: "ADDED", object });
    return () => this.#handlers.delete(handler);
  }

  start(): void {}

  async waitForSync(): Promise<void> {}

  get(namespace: string | undefined, name: string): KubernetesObject | undefined {
    return this.#objects.get(this.#key(namespace, name));
  }

  /** Records the change and delivers it to every subscriber. */
  async apply(type: InformerEventType, object: KubernetesObject): Promise<void> {
    const key = this.#key(object.metadata?.namespace, object.metadata?.name ?? "");
    const previous = this.#objects.get(key);
    if (type === "DELETED") this.#objects.delete(key);
    else this.#objects.set(key, object);
    await Promise.all(
      [...this.#handlers].map((handler) => handler({ type, object, ...(previous ? { previous } : {}) })),
    );
  }

  health(): InformerHealth {
    return {
      kind: this.kind.kind,
      namespace: "",
      labelSelector: "",
      fieldSelector: "",
      state: "watching",
      synced: true,
      lastEventAgeSeconds: 0,
      reconnects: 0,
      relists: 0,
      backoffMs: 0,
      consecutiveFailures: 0,
      lastError: undefined,
      resourceVersion: undefined,
      cachedObjects: this.#objects.size,
      pendingEvents: 0,
      subscribers: this.#handlers.size,
    };
  }

  #key(namespace: string | undefined, name: string): string {
    return `${this.kind.namespaced ? (namespace ?? "") : ""}/${name}`;
  }
}
