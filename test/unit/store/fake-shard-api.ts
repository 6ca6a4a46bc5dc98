import { ApiError, InvalidError, NotFoundError } from "../../../src/k8s/errors.ts";
import type { ShardState, StoreShardObject } from "../../../src/store/crd.ts";
import type { PatchOperation, ShardApi } from "../../../src/store/shard-api.ts";

function apiError(status: number, message: string): ApiError {
  const init = { status, method: "PATCH", path: "/shard", body: { message } };
  if (status === 404) return new NotFoundError(init);
  if (status === 422) return new InvalidError(init);
  return new ApiError(init);
}

interface ShardRecord {
  version: number;
  state: ShardState;
  data: Record<string, string>;
}

/** An in-memory API server for shard objects: applies JSON patches as the real one does (atomically, 422 on a failed test or missing path). */
export class FakeShardApi implements ShardApi {
  readonly shards = new Map<string, ShardRecord>();
  readonly patches: { shard: string; operations: readonly PatchOperation[] }[] = [];
  /** Errors to throw from the next patch or create calls, in order. */
  readonly failNext: ApiError[] = [];
  /** Refuse any patch that leaves a value containing this text (like etcd refusing a too-large object). */
  refuseValue: string | undefined;
  #version = 1;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  /** Holds patches until `release()`, to see what coalesces meanwhile. */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  static error = apiError;

  async patch(shard: string, operations: readonly PatchOperation[]): Promise<StoreShardObject> {
    this.patches.push({ shard, operations });
    if (this.#gate) await this.#gate;
    const failure = this.failNext.shift();
    if (failure) throw failure;
    const current = this.shards.get(shard);
    if (!current) throw apiError(404, `capstanstores "${shard}" not found`);
    let data = { ...current.data };
    let state = current.state;
    for (const op of operations) {
      const entry = op.path.startsWith("/data/")
        ? op.path.slice(6).replaceAll("~1", "/").replaceAll("~0", "~")
        : undefined;
      if (op.op === "test") {
        const actual = op.path === "/state" ? state : entry === undefined ? String(current.version) : data[entry];
        if (actual !== op.value) throw apiError(422, "the server rejected our request due to an error in our request");
      } else if (op.op === "replace") {
        if (op.path === "/state") state = op.value as ShardState;
        if (op.path === "/data") data = { ...(op.value as Record<string, string>) };
      } else if (op.op === "add" && entry !== undefined) {
        data[entry] = op.value;
      } else if (op.op === "remove" && entry !== undefined) {
        if (!(entry in data)) throw apiError(422, "the server rejected our request due to an error in our request");
        delete data[entry];
      }
    }
    this.#refuseTooLarge(data);
    const next = { version: ++this.#version, state, data };
    this.shards.set(shard, next);
    return this.#object(shard, next);
  }

  readonly creates: { shard: string; data: Readonly<Record<string, string>> }[] = [];

  async create(shard: string, data: Readonly<Record<string, string>> = {}): Promise<StoreShardObject | undefined> {
    this.creates.push({ shard, data });
    if (this.#gate) await this.#gate;
    const failure = this.failNext.shift();
    if (failure) throw failure;
    if (this.shards.has(shard)) return undefined;
    this.#refuseTooLarge(data);
    const created: ShardRecord = { version: ++this.#version, state: "open", data: { ...data } };
    this.shards.set(shard, created);
    return this.#object(shard, created);
  }

  async read(shard: string): Promise<StoreShardObject | undefined> {
    const current = this.shards.get(shard);
    return current && this.#object(shard, current);
  }

  /** Another writer changes an entry behind our back. */
  externalWrite(shard: string, entry: string, value: string): StoreShardObject {
    const current = this.shards.get(shard) ?? { version: 0, state: "open", data: {} };
    const next: ShardRecord = {
      version: ++this.#version,
      state: current.state,
      data: { ...current.data, [entry]: value },
    };
    this.shards.set(shard, next);
    return this.#object(shard, next);
  }

  #refuseTooLarge(data: Readonly<Record<string, string>>): void {
    if (this.refuseValue && Object.values(data).some((v) => v.includes(this.refuseValue ?? ""))) {
      throw apiError(500, `etcdserver: request is too large (value ${this.refuseValue})`);
    }
  }

  #object(shard: string, record: ShardRecord): StoreShardObject {
    return {
      metadata: { name: shard, resourceVersion: String(record.version) },
      state: record.state,
      data: { ...record.data },
    };
  }
}
