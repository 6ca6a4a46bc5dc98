import { describe, expect, it } from "vitest";
import {
  entryPointer,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  splitDataKey,
  validateKey,
  validateValue,
} from "../../../src/store/keys.ts";
import { entryPath, MIN_DEPTH, ShardLayout } from "../../../src/store/layout.ts";
import { StoreReplica } from "../../../src/store/replica.ts";

describe("store keys", () => {
  it("validates keys and values with errors that say what to do", () => {
    expect(() => validateKey("setItem", "")).toThrow("Store.setItem: the key must be a non-empty string, got string");
    expect(() => validateKey("getItem", 7)).toThrow("got number");
    expect(() => validateKey("setItem", "é".repeat(MAX_KEY_BYTES / 2 + 1))).toThrow(/keys may be at most 512 bytes/);
    expect(() => validateKey("setItem", "k".repeat(MAX_KEY_BYTES))).not.toThrow();
    expect(() => validateValue("setItem", "k", { a: 1 })).toThrow(
      /must be a string, got object; store other data with JSON.stringify/,
    );
    expect(() => validateValue("setItem", "k", "x".repeat(MAX_VALUE_BYTES + 1))).toThrow(
      /spread large data over several keys/,
    );
    expect(() => validateValue("setItem", "k", "")).not.toThrow();
  });

  it("escapes entries as JSON Pointers and splits them at the first slash", () => {
    expect(entryPointer("cap/https://x/a~b")).toBe("/data/cap~1https:~1~1x~1a~0b");
    expect(splitDataKey("cap/a/b")).toEqual({ prefix: "cap", key: "a/b" });
    expect(splitDataKey("schedule:cap/job")).toEqual({ prefix: "schedule:cap", key: "job" });
    expect(splitDataKey("noslash")).toBeUndefined();
  });

  it("hashes entries to a tree of shards stably and evenly", () => {
    const layout = new ShardLayout("store");
    expect(entryPath("cap/key")).toBe(entryPath("cap/key"));
    expect(entryPath("cap/key")).toMatch(/^[01]{32}$/);
    expect(layout.roots()).toEqual([
      "store-000",
      "store-001",
      "store-010",
      "store-011",
      "store-100",
      "store-101",
      "store-110",
      "store-111",
    ]);
    expect(layout.childrenOf("store-010")).toEqual(["store-0100", "store-0101"]);
    expect(layout.ancestorsOf("store-01011")).toEqual(["store-010", "store-0101"]);
    expect(layout.pathOf("store-01")).toBeUndefined();
    expect(layout.pathOf("other-010")).toBeUndefined();
    const counts = new Map<string, number>();
    for (let i = 0; i < 32_000; i++) {
      const shard = layout.nameAt(entryPath(`cap/k${i}`), MIN_DEPTH + 2);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    expect(Math.min(...counts.values())).toBeGreaterThan(850);
    expect(Math.max(...counts.values())).toBeLessThan(1150);
  });
});

describe("StoreReplica", () => {
  const layout = new ShardLayout("s");
  const shard = (name: string, rv: string, data: Record<string, string>) => ({
    metadata: { name, resourceVersion: rv },
    data,
  });
  /** Entries that live under a given path prefix. */
  const under = (prefix: string, count: number) => {
    const found: string[] = [];
    for (let i = 0; found.length < count; i++) if (entryPath(`c/k${i}`).startsWith(prefix)) found.push(`c/k${i}`);
    return found;
  };

  it("reports changed entries and ignores states older than the one it has", () => {
    const replica = new StoreReplica(layout);
    const [a = "", b = ""] = under("000", 2);
    expect(replica.apply(shard("s-000", "5", { [a]: "1", [b]: "1" })).sort()).toEqual([a, b].sort());
    expect(replica.apply(shard("s-000", "7", { [a]: "2", [b]: "1" }))).toEqual([a]);
    expect(replica.apply(shard("s-000", "6", { [a]: "old" }))).toEqual([]);
    expect(replica.get(a)).toBe("2");
    expect(replica.apply(shard("s-000", "8", { [a]: "2" }))).toEqual([b]);
    expect(replica.resourceVersion("s-000")).toBe("8");
    expect(replica.remove("s-000")).toEqual([a]);
    expect(replica.size).toBe(0);
    expect(replica.apply(shard("s-000", "8", { [a]: "back" }))).toEqual([]);
    expect(replica.apply(shard("other-000", "9", { [a]: "not a shard of this store" }))).toEqual([]);
  });

  it("reads a split shard's entries from it while it is sealed, then from its children, without a change", () => {
    const replica = new StoreReplica(layout);
    const [left, right] = [under("0100", 1)[0] ?? "", under("0101", 1)[0] ?? ""];
    const split = (name: string, rv: string, state: "open" | "sealed" | "split", data: Record<string, string>) => ({
      ...shard(name, rv, data),
      state,
    });
    replica.apply(split("s-010", "10", "open", { [left]: "L", [right]: "R" }));
    expect(replica.shardFor(entryPath(left))).toBe("s-010");
    expect(replica.bytes("s-010")).toBe(Buffer.byteLength(left + right) + 2);
    expect(replica.apply(split("s-010", "11", "sealed", { [left]: "L", [right]: "R" }))).toEqual([]);
    // The children are copies while the parent is sealed; they are not read yet.
    expect(replica.apply(split("s-0100", "12", "open", { [left]: "L" }))).toEqual([]);
    expect(replica.apply(split("s-0101", "13", "open", { [right]: "R" }))).toEqual([]);
    expect(replica.shardFor(entryPath(left))).toBe("s-010");
    expect(replica.apply(split("s-010", "14", "split", {}))).toEqual([]);
    expect(replica.shardFor(entryPath(left))).toBe("s-0100");
    expect(replica.get(left)).toBe("L");
    expect(replica.apply(split("s-0100", "15", "open", { [left]: "L2" }))).toEqual([left]);
    expect(replica.get(left)).toBe("L2");
    expect(replica.get(right)).toBe("R");
    // A split shard's children are where writes go even before this replica has seen them.
    replica.apply(split("s-0101", "16", "split", {}));
    expect(replica.shardFor(entryPath(right))).toMatch(/^s-0101[01]$/);
    expect(replica.get(right)).toBeUndefined();
    expect(replica.shardFor(entryPath(under("111", 1)[0] ?? ""))).toBeUndefined();
  });
});
