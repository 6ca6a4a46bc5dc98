import { describe, expect, it } from "vitest";
import {
  entryPointer,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  shardIndex,
  shardName,
  splitDataKey,
  validateKey,
  validateValue,
} from "../../../src/store/keys.ts";
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

  it("hashes entries to shards stably and evenly", () => {
    expect(shardIndex("cap/key", 32)).toBe(shardIndex("cap/key", 32));
    expect(shardName("store", 3, 32)).toBe("store-03");
    expect(shardName("store", 3, 8)).toBe("store-3");
    const counts = new Array(32).fill(0);
    for (let i = 0; i < 32_000; i++) counts[shardIndex(`cap/k${i}`, 32)]++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });
});

describe("StoreReplica", () => {
  const shard = (rv: string, data: Record<string, string>) => ({
    metadata: { name: "s-0", resourceVersion: rv },
    data,
  });

  it("reports changed entries and ignores states older than the one it has", () => {
    const replica = new StoreReplica();
    expect(replica.apply(shard("5", { "c/a": "1", "c/b": "1" })).sort()).toEqual(["c/a", "c/b"]);
    expect(replica.apply(shard("7", { "c/a": "2", "c/b": "1" }))).toEqual(["c/a"]);
    expect(replica.apply(shard("6", { "c/a": "old" }))).toEqual([]);
    expect(replica.get("c/a")).toBe("2");
    expect(replica.apply(shard("8", { "c/a": "2" }))).toEqual(["c/b"]);
    expect(replica.resourceVersion("s-0")).toBe("8");
    expect(replica.remove("s-0")).toEqual(["c/a"]);
    expect(replica.size).toBe(0);
  });
});
