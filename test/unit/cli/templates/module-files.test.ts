import { describe, expect, it } from "vitest";
import { nameError, uuidError } from "../../../../src/cli/commands/init.ts";
import { moduleFiles } from "../../../../src/cli/templates/module-files.ts";

const answers = {
  name: "my-module",
  description: "d",
  onError: "ignore",
  uuid: "my-uuid",
  capstanVersion: "^0.1.0",
} as const;

describe("capstan init template", () => {
  const files = new Map(moduleFiles(answers).map((file) => [file.path, file.content]));

  it("writes the module files", () => {
    expect([...files.keys()].sort()).toEqual([
      ".gitignore",
      "README.md",
      "biome.json",
      "capabilities/hello-capstan.test.ts",
      "capabilities/hello-capstan.ts",
      "capstan.ts",
      "package.json",
      "scenarios/hello-capstan.scenarios.yaml",
      "tsconfig.json",
    ]);
  });

  it("package.json carries the answers in its capstan block", () => {
    const pkg = JSON.parse(files.get("package.json") as string);
    expect(pkg).toMatchObject({
      name: "my-module",
      description: "d",
      type: "module",
      dependencies: { capstan: "^0.1.0" },
      capstan: { uuid: "my-uuid", onError: "ignore", webhookTimeout: 10 },
    });
    expect(pkg.scripts.build).toBe("capstan build");
    expect(pkg.scripts.test).toBe("vitest run && capstan test");
  });

  it("the entry constructs one module from package.json with the sample capability", () => {
    expect(files.get("capstan.ts")).toContain("new PeprModule(pkg, [HelloCapstan]);");
  });

  it("checks names and uuids", () => {
    expect(nameError("ab")).toMatch(/at least 3/);
    expect(nameError("good-name")).toBe("");
    expect(uuidError("Not_OK")).toMatch(/at most 36/);
    expect(uuidError("a".repeat(37))).not.toBe("");
    expect(uuidError("ok-uuid-1")).toBe("");
  });
});
