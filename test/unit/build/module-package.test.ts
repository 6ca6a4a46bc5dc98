import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultEntry, moduleConfigOf } from "../../../src/build/module-package.ts";

function moduleDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "capstan-package-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe("reading a module's package.json", () => {
  it("reads the capstan key, or Pepr's pepr key", () => {
    const capstan = moduleDir({ "package.json": JSON.stringify({ capstan: { uuid: "a", onError: "reject" } }) });
    expect(moduleConfigOf(capstan)).toMatchObject({ uuid: "a", onError: "reject", webhookTimeout: 10 });
    const pepr = moduleDir({
      "package.json": JSON.stringify({ description: "d", pepr: { uuid: "b", onError: "audit" } }),
    });
    expect(moduleConfigOf(pepr)).toMatchObject({ uuid: "b", onError: "audit", description: "d" });
  });

  it("names the file and the field at fault", () => {
    const missing = moduleDir({});
    expect(() => moduleConfigOf(missing)).toThrow(`${join(missing, "package.json")} not found`);
    const broken = moduleDir({ "package.json": "{ not json" });
    expect(() => moduleConfigOf(broken)).toThrow(/package\.json is not valid JSON/);
    const bad = moduleDir({ "package.json": JSON.stringify({ capstan: { uuid: "a", onError: "explode" } }) });
    expect(() => moduleConfigOf(bad)).toThrow(/package\.json: Invalid onError value "explode"/);
  });

  it("takes capstan.ts as the entry, else pepr.ts", () => {
    expect(defaultEntry(moduleDir({ "capstan.ts": "", "pepr.ts": "" }))).toBe("capstan.ts");
    expect(defaultEntry(moduleDir({ "pepr.ts": "" }))).toBe("pepr.ts");
    expect(() => defaultEntry(moduleDir({}))).toThrow(/pass --entry-point/);
  });
});
