import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_VNODES, HashRing, murmur3Utf16 } from "../../../src/shard/ring.ts";
import { syntheticUids } from "../../../src/shard/synthetic-uids.ts";

const shards = (n: number): string[] => Array.from({ length: n }, (_, i) => `shard-${i}`);

function ringOf(names: readonly string[], vnodes?: number): HashRing {
  const ring = new HashRing({ vnodes });
  for (const name of names) ring.add(name);
  return ring;
}

function owners(ring: HashRing, keys: readonly string[]): (string | undefined)[] {
  return keys.map((key) => ring.owner(key));
}

function counts(ring: HashRing, keys: readonly string[]): Map<string, number> {
  const byShard = new Map<string, number>(ring.members().map((m) => [m, 0]));
  for (const key of keys) {
    const owner = ring.owner(key) ?? "";
    byShard.set(owner, (byShard.get(owner) ?? 0) + 1);
  }
  return byShard;
}

describe("murmur3Utf16", () => {
  // Published MurmurHash3 x86_32 vectors; a string's UTF-16LE bytes are the hashed bytes.
  it.each([
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["", 0xffffffff, 0x81f16f39],
    ["\u0000\u0000", 0, 0x2362f9de],
    ["\u4321", 0, 0xa0f7b07a],
    ["\u4321\u8765", 0, 0xf55b516b],
    ["\u4321\u8765", 0x5082edee, 0x2362f9de],
  ])("hashes %j with seed %d to the reference value", (text, seed, expected) => {
    expect(murmur3Utf16(text, seed)).toBe(expected);
  });

  it("spreads sequential keys over the whole 32-bit range", () => {
    const hashes = Array.from({ length: 4096 }, (_, i) => murmur3Utf16(`key-${i}`, 0));
    const buckets = new Array<number>(16).fill(0);
    for (const h of hashes) buckets[h >>> 28] = (buckets[h >>> 28] ?? 0) + 1;
    // 256 expected per bucket; binomial sd 15.5, so ±80 is more than 5 sd.
    for (const b of buckets) expect(Math.abs(b - 256)).toBeLessThan(80);
  });
});

describe("HashRing", () => {
  it("has no owner while empty and one owner for everything with one member", () => {
    const ring = new HashRing();
    expect(ring.owner("a")).toBeUndefined();
    expect(ring.members()).toEqual([]);
    ring.add("only");
    expect(new Set(owners(ring, syntheticUids(1000)))).toEqual(new Set(["only"]));
    ring.remove("only");
    expect(ring.owner("a")).toBeUndefined();
    expect(ring.size).toBe(0);
  });

  it("refuses an empty shard name and vnodes out of range, naming the value", () => {
    expect(() => new HashRing().add("")).toThrow(/shard name must not be empty/);
    expect(() => new HashRing({ vnodes: 0 })).toThrow(/vnodes must be an integer from 1 to 4096, got 0/);
    expect(() => new HashRing({ vnodes: 1.5 })).toThrow(/got 1\.5/);
    expect(new HashRing().vnodes).toBe(DEFAULT_VNODES);
  });

  it("tracks members: add is idempotent, remove of a stranger is a no-op, members() is sorted", () => {
    const ring = ringOf(["c", "a", "b", "a"]);
    expect(ring.members()).toEqual(["a", "b", "c"]);
    expect(ring.has("b")).toBe(true);
    ring.remove("zz");
    ring.remove("b");
    expect(ring.has("b")).toBe(false);
    expect(ring.members()).toEqual(["a", "c"]);
  });

  it("depends only on the member set, not on the order of adds and removes", () => {
    const keys = syntheticUids(20_000, 7);
    const names = shards(12);
    const forward = owners(ringOf(names), keys);
    expect(owners(ringOf([...names].reverse()), keys)).toEqual(forward);
    const churned = ringOf([...names, "x", "y"]);
    churned.remove("x");
    churned.remove("shard-3");
    churned.add("shard-3");
    churned.remove("y");
    expect(owners(churned, keys)).toEqual(forward);
  });

  it("gives the same owners in another process (a pinned sample, and a child Node process)", () => {
    const ring = ringOf(["replica-a", "replica-b", "replica-c"]);
    const keys = syntheticUids(6, 3);
    // Pinned: a change here means replicas of two versions would disagree on every object's shard.
    expect(owners(ring, keys)).toMatchInlineSnapshot(`
      [
        "replica-a",
        "replica-c",
        "replica-a",
        "replica-b",
        "replica-b",
        "replica-c",
      ]
    `);
    const ringModule = fileURLToPath(new URL("../../../src/shard/ring.ts", import.meta.url));
    const script = `
      const { HashRing } = await import(${JSON.stringify(ringModule)});
      const ring = new HashRing();
      for (const s of ["replica-c", "replica-a", "replica-b"]) ring.add(s);
      const keys = JSON.parse(process.argv[1]);
      process.stdout.write(JSON.stringify(keys.map((k) => ring.owner(k))));`;
    const sample = syntheticUids(2000, 11);
    const child = execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(sample)], {
      encoding: "utf8",
    });
    expect(JSON.parse(child)).toEqual(owners(ring, sample));
  });

  it("moves only keys to a joining shard, about 1/n of them", () => {
    const keys = syntheticUids(100_000, 5);
    const ring = ringOf(shards(10));
    const before = owners(ring, keys);
    ring.add("shard-10");
    const after = owners(ring, keys);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== after[i]) {
        moved++;
        expect(after[i]).toBe("shard-10");
      }
    }
    // Ideal 1/11 = 9.1 %; virtual nodes keep a shard's share within about ±25 % of that.
    expect(moved / keys.length).toBeGreaterThan(0.068);
    expect(moved / keys.length).toBeLessThan(0.114);
  });

  it("moves only the leaving shard's keys when a shard leaves", () => {
    const keys = syntheticUids(100_000, 6);
    const ring = ringOf(shards(10));
    const before = owners(ring, keys);
    ring.remove("shard-4");
    const after = owners(ring, keys);
    let moved = 0;
    const receivers = new Set<string | undefined>();
    for (let i = 0; i < keys.length; i++) {
      if (before[i] === "shard-4") {
        moved++;
        receivers.add(after[i]);
        expect(after[i]).not.toBe("shard-4");
      } else {
        expect(after[i]).toBe(before[i]);
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.075);
    expect(moved / keys.length).toBeLessThan(0.125);
    // The leaver's keys spread over the survivors instead of landing on one neighbour.
    expect(receivers.size).toBe(9);
  });

  it("balances 100 shards: the busiest holds at most 1.3× the mean, the idlest at least 0.7×", () => {
    const keys = syntheticUids(200_000, 9);
    const byShard = counts(ringOf(shards(100)), keys);
    const mean = keys.length / 100;
    expect(byShard.size).toBe(100);
    expect(Math.max(...byShard.values()) / mean).toBeLessThan(1.3);
    expect(Math.min(...byShard.values()) / mean).toBeGreaterThan(0.7);
  });

  it("balances 3 shards within the 25–42 % the issue asks of each replica's cache", () => {
    const keys = syntheticUids(60_000, 10);
    for (const names of [["a", "b", "c"], shards(3), ["capstan-0", "capstan-1", "capstan-2"]]) {
      for (const n of counts(ringOf(names), keys).values()) {
        expect(n / keys.length).toBeGreaterThan(0.25);
        expect(n / keys.length).toBeLessThan(0.42);
      }
    }
  });
});
