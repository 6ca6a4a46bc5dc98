import { describe, expect, it } from "vitest";
import { applyPatch, diffJson } from "../../../src/admission/json-patch.ts";
import { cloneJson } from "../../../src/model/json.ts";

describe("diffJson", () => {
  it("emits one operation per changed member, escaping pointer segments", () => {
    const before = { metadata: { name: "x", labels: { "a/b": "1", "t~": "2" } }, data: { keep: "1", drop: "2" } };
    const after = { metadata: { name: "x", labels: { "a/b": "9", "t~": "2", new: "3" } }, data: { keep: "1" } };
    expect(diffJson(before, after)).toEqual([
      { op: "replace", path: "/metadata/labels/a~1b", value: "9" },
      { op: "add", path: "/metadata/labels/new", value: "3" },
      { op: "remove", path: "/data/drop" },
    ]);
  });

  it("handles arrays growing, shrinking and changing type, and root replacement", () => {
    expect(diffJson({ a: [1, 2, 3] }, { a: [1, 5] })).toEqual([
      { op: "replace", path: "/a/1", value: 5 },
      { op: "remove", path: "/a/2" },
    ]);
    expect(diffJson({ a: [1] }, { a: [1, { b: 2 }, 3] })).toEqual([
      { op: "add", path: "/a/1", value: { b: 2 } },
      { op: "add", path: "/a/2", value: 3 },
    ]);
    expect(diffJson({ a: [1] }, { a: { 0: 1 } })).toEqual([{ op: "replace", path: "/a", value: { 0: 1 } }]);
    expect(diffJson(1, 2)).toEqual([{ op: "replace", path: "", value: 2 }]);
    expect(diffJson({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it("produces patches that turn the original into the result for random edits", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const randomValue = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.3) return Math.floor(random() * 5);
      if (r < 0.4) return `s${Math.floor(random() * 3)}`;
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}`, randomValue(depth + 1)]),
      );
    };
    const mutate = (value: unknown, depth: number): unknown => {
      if (random() < 0.2 || depth > 3) return randomValue(depth);
      if (Array.isArray(value)) {
        const copy = value.map((item) => (random() < 0.3 ? mutate(item, depth + 1) : item));
        if (random() < 0.3) copy.push(randomValue(depth + 1));
        if (random() < 0.3) copy.splice(0, 1);
        return copy;
      }
      if (value && typeof value === "object") {
        const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        for (const key of Object.keys(copy)) {
          if (random() < 0.2) delete copy[key];
          else if (random() < 0.3) copy[key] = mutate(copy[key], depth + 1);
        }
        if (random() < 0.3) copy[`n${Math.floor(random() * 3)}`] = randomValue(depth + 1);
        return copy;
      }
      return randomValue(depth);
    };
    for (let i = 0; i < 500; i++) {
      const before = { root: randomValue(0) };
      const after = { root: mutate(before.root, 0) };
      const patched = applyPatch(cloneJson(before), diffJson(before, after));
      expect(patched).toEqual(after);
    }
  });
});
