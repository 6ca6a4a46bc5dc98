import { describe, expect, it } from "vitest";
import { WorkQueue } from "../../../src/controller/work-queue.ts";
import type { KubernetesObject } from "../../../src/k8s/index.ts";
import { parseModuleConfig } from "../../../src/model/index.ts";
import {
  assignmentOf,
  checkShardId,
  DRAIN_TO_ANNOTATION,
  deletedEventKind,
  HashRing,
  SHARD_LABEL,
  ShardLease,
  shardKey,
  shardScopes,
} from "../../../src/shard/index.ts";

const base = { uuid: "demo", onError: "reject" };
const parse = (capstan: Record<string, unknown>) => parseModuleConfig({ capstan } as never);

describe("controller.shards setting", () => {
  it("is off by default and accepts auto or a whole number ≥ 1", () => {
    expect(parse(base).controller).toBeUndefined();
    expect(parse({ ...base, controller: { shards: "auto" } }).controller?.shards).toBe("auto");
    expect(parse({ ...base, controller: { shards: 3 } }).controller?.shards).toBe(3);
  });

  it("refuses bad values with what to write instead", () => {
    expect(() => parse({ ...base, controller: { shards: 0 } })).toThrow(/controller.shards 0: use "auto"/);
    expect(() => parse({ ...base, controller: { shards: "many" } })).toThrow(/Invalid controller.shards "many"/);
    expect(() => parse({ ...base, controller: { shards: 2.5 } })).toThrow(/whole number/);
    expect(() => parse({ ...base, controller: "auto" })).toThrow(/Invalid controller setting "auto"/);
  });

  it("is refused in Pepr compatibility mode", () => {
    expect(() => parseModuleConfig({ pepr: { ...base, controller: { shards: "auto" } } } as never)).toThrow(
      /not available in Pepr compatibility mode/,
    );
  });
});

const object = (
  uid: string,
  labels?: Record<string, string>,
  annotations?: Record<string, string>,
): KubernetesObject => ({
  metadata: { name: uid, namespace: "ns", uid, labels, annotations },
});

const CM = { group: "", kind: "ConfigMap" };

describe("shard assignment", () => {
  const ring = new HashRing();
  for (const id of ["a", "b", "c"]) ring.add(id);

  it("keys an object by its controller owner's group, kind, namespace and name, else its own", () => {
    expect(shardKey(object("u1"), CM)).toBe("/ConfigMap/ns/u1");
    expect(shardKey({ metadata: { name: "w" } }, { group: "example.com", kind: "Widget" })).toBe(
      "example.com/Widget//w",
    );
    const child: KubernetesObject = {
      metadata: {
        name: "child",
        namespace: "ns",
        uid: "child",
        ownerReferences: [
          { apiVersion: "v1", kind: "X", name: "other", uid: "not-controller" },
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "root", uid: "root-uid", controller: true },
        ],
      },
    };
    expect(shardKey(child, CM)).toBe("apps/ReplicaSet/ns/root");
    // The owner's own key is the same string: parent and children land on one shard.
    expect(shardKey({ metadata: { name: "root", namespace: "ns" } }, { group: "apps", kind: "ReplicaSet" })).toBe(
      "apps/ReplicaSet/ns/root",
    );
    // A CREATE with only generateName has no key yet (the assigner labels it once named).
    expect(shardKey({ metadata: { generateName: "x-", namespace: "ns" } }, CM)).toBeUndefined();
  });

  it("labels unassigned objects and objects of dead shards directly, drains between live ones", () => {
    const target = ring.owner("/ConfigMap/ns/u1") ?? "";
    const other = ["a", "b", "c"].find((id) => id !== target) ?? "";
    expect(assignmentOf(object("u1"), CM, ring)).toEqual({ write: "label", shard: target });
    expect(assignmentOf(object("u1", { [SHARD_LABEL]: "dead" }), CM, ring)).toEqual({ write: "label", shard: target });
    expect(assignmentOf(object("u1", { [SHARD_LABEL]: other }), CM, ring)).toEqual({ write: "drain", shard: target });
    expect(
      assignmentOf(object("u1", { [SHARD_LABEL]: other }, { [DRAIN_TO_ANNOTATION]: target }), CM, ring),
    ).toBeUndefined();
    expect(assignmentOf(object("u1", { [SHARD_LABEL]: target }), CM, ring)).toBeUndefined();
    expect(assignmentOf(object("u1", { [SHARD_LABEL]: target }, { [DRAIN_TO_ANNOTATION]: other }), CM, ring)).toEqual({
      write: "clear-drain",
    });
    expect(assignmentOf(object("u1"), CM, new HashRing())).toBeUndefined();
  });

  it("checks shard ids", () => {
    expect(() => checkShardId("replica-0")).not.toThrow();
    expect(() => checkShardId("Replica_0")).toThrow(/lowercase/);
    expect(() => checkShardId("")).toThrow(/not usable/);
  });

  it("derives one assigner scope per kind and namespace, an all-namespace scope covering the others", () => {
    const kind = { kind: "Widget", group: "x", version: "v1", plural: "widgets", namespaced: true, apiVersion: "x/v1" };
    const binding = (action: string, namespaces: string[]) => ({ action, kind, filters: { namespaces } });
    const scopes = shardScopes([
      { name: "a", namespaces: [], bindings: [binding("reconcile", ["one"]), binding("mutate", [])] },
    ] as never);
    expect(scopes).toEqual([{ kind, namespace: "one" }]);
    const all = shardScopes([
      { name: "a", namespaces: [], bindings: [binding("reconcile", ["one"]), binding("watch", [])] },
    ] as never);
    expect(all).toEqual([{ kind }]);
  });
});

describe("shard lease fencing", () => {
  it("holds only while the last renew is within 2/3 of the Lease duration", async () => {
    const calls: string[] = [];
    const client = {
      request: async (request: { method?: string }) => {
        calls.push(request.method ?? "GET");
        return {};
      },
    };
    const lease = new ShardLease(client as never, {
      namespace: "ns",
      prefix: "capstan-x",
      id: "a",
      leaseDurationMs: 9000,
    });
    expect(lease.holds()).toBe(false);
    await lease.join();
    const now = Date.now();
    expect(lease.holds(now)).toBe(true);
    expect(lease.holds(now + 5900)).toBe(true);
    expect(lease.holds(now + 6100)).toBe(false);
    expect(lease.name).toBe("capstan-x-shard-a");
    await lease.leave();
    expect(lease.holds(now)).toBe(false);
    expect(calls).toEqual(["PATCH", "DELETE"]);
  });
});

describe("DELETED events of a sharded replica", () => {
  const mine = object("u1", { [SHARD_LABEL]: "a" });
  it("swallows objects that left the shard, verifies relist deletes, delivers watch deletes", () => {
    const moved = object("u1", { [SHARD_LABEL]: "b" });
    expect(deletedEventKind({ type: "DELETED", object: moved, previous: mine }, "a")).toBe("left");
    const draining = object("u1", { [SHARD_LABEL]: "a" }, { [DRAIN_TO_ANNOTATION]: "b" });
    expect(deletedEventKind({ type: "DELETED", object: draining, previous: draining }, "a")).toBe("left");
    expect(deletedEventKind({ type: "DELETED", object: mine, previous: mine }, "a")).toBe("unverified");
    expect(
      deletedEventKind({ type: "DELETED", object: object("u1", { [SHARD_LABEL]: "a" }), previous: mine }, "a"),
    ).toBe("deleted");
  });
});

describe("what a drain waits for", () => {
  it("sees running and ready items of an object, not finished ones", async () => {
    let release = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const done: string[] = [];
    const queue = new WorkQueue<string>({
      name: "shard-drain-unit",
      workers: 1,
      process: async ({ payload }) => {
        if (payload === "x") await blocked;
        done.push(payload);
      },
    });
    const of = (name: string) => (key: string) => key.endsWith(`|ns/${name}`);
    queue.add("binding-a|ns/x", "x");
    queue.add("binding-a|ns/y", "y");
    expect(queue.isRunning(of("x"))).toBe(true);
    expect(queue.isRunning(of("y"))).toBe(false);
    expect(queue.isRunningOrReady(of("y"))).toBe(true);
    expect(queue.isRunningOrReady(of("z"))).toBe(false);
    release();
    await queue.idle();
    expect(done).toEqual(["x", "y"]);
    expect(queue.isRunningOrReady(of("x"))).toBe(false);
    expect(queue.isRunningOrReady(of("y"))).toBe(false);
    await queue.shutDown();
  });
});
