import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { watchBundleInputs } from "../../../src/runtime/dev-sources.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

describe("dev source watching", () => {
  it("reacts to the bundle's inputs and package.json only; any source-like file after a failed build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-dev-sources-"));
    mkdirSync(join(dir, "lib"));
    for (const file of ["capstan.ts", "lib/rule.ts", "package.json", "notes.md", "hello.test.ts"]) {
      writeFileSync(join(dir, file), "x");
    }
    let changes = 0;
    const watcher = watchBundleInputs(dir, () => changes++);
    try {
      watcher.setInputs(["capstan.ts", join(dir, "lib/rule.ts")]);
      for (const file of ["notes.md", "hello.test.ts", "debug.log", "hello.scenarios.yaml"]) {
        writeFileSync(join(dir, file), "changed");
      }
      await settle();
      expect(changes).toBe(0);

      writeFileSync(join(dir, "lib/rule.ts"), "changed");
      await settle();
      expect(changes).toBe(1);
      writeFileSync(join(dir, "package.json"), "changed");
      await settle();
      expect(changes).toBe(2);

      watcher.setInputs(undefined);
      writeFileSync(join(dir, "hello.test.ts"), "again");
      await settle();
      expect(changes).toBe(3);
      writeFileSync(join(dir, "debug.log"), "again");
      mkdirSync(join(dir, ".capstan"), { recursive: true });
      writeFileSync(join(dir, ".capstan", "module.mjs"), "again");
      await settle();
      expect(changes).toBe(3);
    } finally {
      watcher.close();
    }
  });
});
