import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sourcesUseStore } from "../../../src/build/bundle.ts";

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "capstan-store-")), "capability.ts");
  writeFileSync(path, content);
  return path;
}

describe("whether a module's own sources use the Store", () => {
  it("finds Store used inside a callback, or destructured from the capability", async () => {
    expect(await sourcesUseStore([file("When(a.Pod).Watch(() => Hello.Store.setItem('k', 'v'));")])).toBe(true);
    expect(await sourcesUseStore([file("const { When, Store } = Hello;")])).toBe(true);
  });

  it("does not count ScheduleStore or other words, nor missing files", async () => {
    expect(await sourcesUseStore([file("const s = Hello.ScheduleStore; const restore = 1;")])).toBe(false);
    expect(await sourcesUseStore(["/no/such/file.ts"])).toBe(false);
  });
});
