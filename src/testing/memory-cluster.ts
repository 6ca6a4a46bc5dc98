import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { applyPatch, type PatchOperation } from "../admission/index.ts";
import type { ObjectSource } from "../controller/index.ts";
import { MemorySource } from "../controller/index.ts";
import { type InformerOptions, type InformerScope, scopeKey } from "../informer/index.ts";
import type { ApiClient, ApiRequest, KubernetesObject, ResolvedKind } from "../k8s/index.ts";
import { ConflictError, InvalidError, NotFoundError, resourcePath } from "../k8s/index.ts";
import { cloneJson } from "../model/index.ts";
import type { Clock } from "../time/index.ts";
import { kindOfObject } from "./kinds.ts";
import type { ModuleUnderTest } from "./module-under-test.ts";
import { type ObjectInput, objectRef, toObject } from "./objects.ts";
import { valueAt } from "./pointer.ts";
import { inScope } from "./scope-match.ts";

interface Scoped {
  readonly scope: InformerScope;
  readonly source: MemorySource;
}

/** The typed error the API server's answer would become. */
function failure(call: ApiRequest, code: number, reason: string, message: string) {
  const init = {
    status: code,
    method: call.method ?? "GET",
    path: call.path,
    body: { kind: "Status", status: "Failure", code, reason, message },
  };
  if (code === 404) return new NotFoundError(init);
  return code === 409 ? new ConflictError(init) : new InvalidError(init);
}

/**
 * Objects in memory, standing in for the API server: `apply` and `delete` behave as kubectl would
 * (resourceVersion, generation, deletionTimestamp while finalizers remain), every informer scope
 * the controller asks for is a `MemorySource` fed with the changes it would see, and `client`
 * answers the reads and JSON patches the controller itself sends (finalizer removal).
 */
export class MemoryCluster {
  readonly #objects = new Map<string, KubernetesObject>();
  readonly #scopes = new Map<string, Scoped>();
  readonly #clock: Clock;
  readonly #module: ModuleUnderTest | undefined;
  #resourceVersion = 1;

  constructor(options: { clock: Clock; module?: ModuleUnderTest }) {
    this.#clock = options.clock;
    this.#module = options.module;
  }

  /** The controller's `sources` option: one source per scope, filled with what is already stored. */
  readonly sources = (scope: InformerOptions): ObjectSource => {
    const key = scopeKey(scope);
    const existing = this.#scopes.get(key);
    if (existing) return existing.source;
    const source = new MemorySource(scope.kind);
    for (const object of this.#objects.values()) if (inScope(scope, object)) void source.apply("ADDED", object);
    this.#scopes.set(key, { scope, source });
    return source;
  };

  /** Every stored object, in the order they were created. */
  list(): KubernetesObject[] {
    return [...this.#objects.values()].map(cloneJson);
  }

  /** The stored object with this apiVersion, kind, namespace and name, or undefined. */
  get(ref: ObjectInput): KubernetesObject | undefined {
    const object = toObject(ref);
    const stored = this.#objects.get(this.#path(object));
    return stored && cloneJson(stored);
  }

  /** Creates or replaces an object (as `kubectl apply` would) and tells the informers. */
  async apply(input: ObjectInput): Promise<KubernetesObject> {
    const object = toObject(input);
    if (!object.metadata?.name) throw new Error(`cannot store ${objectRef(object)}: metadata.name is missing`);
    const path = this.#path(object);
    const previous = this.#objects.get(path);
    const metadata = { ...object.metadata };
    if (previous) {
      const { generation = 1, uid, creationTimestamp, deletionTimestamp } = previous.metadata ?? {};
      const specChanged = !isDeepStrictEqual(withoutMetadata(previous), withoutMetadata(object));
      Object.assign(metadata, { uid, creationTimestamp, generation: specChanged ? generation + 1 : generation });
      if (deletionTimestamp) metadata.deletionTimestamp = deletionTimestamp;
    } else {
      Object.assign(metadata, { uid: metadata.uid ?? randomUUID(), generation: 1 });
      metadata.creationTimestamp ??= new Date(this.#clock.now()) as never;
    }
    metadata.resourceVersion = String(++this.#resourceVersion);
    const next = { ...object, metadata };
    // As the API server does: an object being deleted goes once its last finalizer is removed.
    if (metadata.deletionTimestamp && (metadata.finalizers ?? []).length === 0) {
      await this.#remove(path, next);
      return cloneJson(next);
    }
    return this.#store(path, next, previous);
  }

  /** Deletes an object: with finalizers it only gets a deletionTimestamp; without, it is gone. */
  async delete(ref: ObjectInput): Promise<void> {
    const path = this.#path(toObject(ref));
    const stored = this.#objects.get(path);
    if (!stored) throw new Error(`cannot delete ${objectRef(toObject(ref))}: it is not in the cluster`);
    if ((stored.metadata?.finalizers ?? []).length === 0) return this.#remove(path, stored);
    if (stored.metadata?.deletionTimestamp) return;
    const metadata = {
      ...stored.metadata,
      deletionTimestamp: new Date(this.#clock.now()) as never,
      resourceVersion: String(++this.#resourceVersion),
    };
    await this.#store(path, { ...stored, metadata }, stored);
  }

  /** The slice of `ApiClient` the controller uses on its own: GET and JSON-patch PATCH of one object. */
  get client(): ApiClient {
    const request = async <T>(call: ApiRequest): Promise<T> => (await this.#handle(call)) as T;
    return { request } as unknown as ApiClient;
  }

  async #handle(call: ApiRequest): Promise<unknown> {
    const method = call.method ?? "GET";
    const stored = this.#objects.get(call.path);
    if (!stored) throw failure(call, 404, "NotFound", `${call.path} not found`);
    if (method === "GET") return cloneJson(stored);
    if (method !== "PATCH" || call.contentType !== "application/json-patch+json") {
      throw new Error(
        `the in-memory cluster does not serve ${method} ${call.path} (${call.contentType ?? "json"}): use the cluster helper for API calls`,
      );
    }
    const ops = call.body as (PatchOperation | { op: "test"; path: string; value: unknown })[];
    for (const op of ops) {
      if (op.op === "test" && !isDeepStrictEqual(valueAt(stored, op.path), op.value)) {
        const stale = op.path === "/metadata/resourceVersion";
        throw failure(call, stale ? 409 : 422, stale ? "Conflict" : "Invalid", `the test of ${op.path} failed`);
      }
    }
    const patched = applyPatch(
      cloneJson(stored),
      ops.filter((op): op is PatchOperation => op.op !== "test"),
    ) as KubernetesObject;
    patched.metadata = { ...patched.metadata, resourceVersion: String(++this.#resourceVersion) };
    if (patched.metadata.deletionTimestamp && (patched.metadata.finalizers ?? []).length === 0) {
      await this.#remove(call.path, patched);
      return cloneJson(patched);
    }
    await this.#store(call.path, patched, stored);
    return cloneJson(patched);
  }

  #kind(object: KubernetesObject): ResolvedKind {
    return kindOfObject(object, this.#module);
  }

  #path(object: KubernetesObject): string {
    return resourcePath(this.#kind(object), { namespace: object.metadata?.namespace, name: object.metadata?.name });
  }

  async #store(
    path: string,
    object: KubernetesObject,
    previous: KubernetesObject | undefined,
  ): Promise<KubernetesObject> {
    this.#objects.set(path, object);
    for (const { scope, source } of this.#scopes.values()) {
      const now = inScope(scope, object);
      const before = previous !== undefined && inScope(scope, previous);
      if (now) await source.apply(before ? "MODIFIED" : "ADDED", object);
      else if (before) await source.apply("DELETED", previous);
    }
    return cloneJson(object);
  }

  async #remove(path: string, object: KubernetesObject): Promise<void> {
    this.#objects.delete(path);
    for (const { scope, source } of this.#scopes.values()) {
      if (inScope(scope, object)) await source.apply("DELETED", object);
    }
  }
}

function withoutMetadata(object: KubernetesObject): Record<string, unknown> {
  const { metadata: _metadata, ...rest } = object as Record<string, unknown>;
  return rest;
}
