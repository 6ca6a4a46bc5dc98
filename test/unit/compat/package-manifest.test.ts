import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  exports: Record<
    string,
    string | { import: { types: string; default: string }; require: { types: string; default: string } }
  >;
  typesVersions: { "*": Record<string, string[]> };
};

/** The source file tsc compiles to a dist/ path (`dist/x/y.js` or `.d.ts` ← `src/x/y.ts`). */
const sourceOf = (distPath: string) =>
  join(root, distPath.replace(/^\.?\/?dist\//, "src/").replace(/\.(d\.ts|js)$/, ".ts"));

describe("package.json: the route a Pepr module installs capstan by", () => {
  it("has top-level main and types, and both executables", () => {
    expect(existsSync(sourceOf(pkg.main))).toBe(true);
    expect(existsSync(sourceOf(pkg.types))).toBe(true);
    expect(Object.keys(pkg.bin).sort()).toEqual(["capstan", "pepr"]);
    for (const bin of Object.values(pkg.bin)) expect(existsSync(join(root, bin))).toBe(true);
  });

  it("every export and typesVersions path is built from a source file; CommonJS types point at built files", () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue;
      expect(existsSync(sourceOf(target.import.default)), subpath).toBe(true);
      expect(sourceOf(target.import.types)).toBe(sourceOf(target.import.default));
      expect(target.require.default).toBe(target.import.default);
      const cjs = readFileSync(join(root, target.require.types), "utf8");
      const esm = /from "([^"]+)"/.exec(cjs)?.[1] as string;
      expect(join(root, "compat/cjs", esm), subpath).toBe(join(root, target.import.default));
    }
    for (const [subpath, targets] of Object.entries(pkg.typesVersions["*"]))
      for (const target of targets) expect(existsSync(sourceOf(target)), subpath).toBe(true);
  });

  it("names itself capstan and links kubernetes-fluent-client into its own client, from published files", () => {
    expect(pkg.dependencies.capstan).toBe("file:.");
    expect(pkg.dependencies["kubernetes-fluent-client"]).toBe("file:compat/kubernetes-fluent-client");
    expect(pkg.files).toContain("compat");
    const kfcDir = join(root, "compat/kubernetes-fluent-client");
    for (const file of readdirSync(kfcDir).filter((name) => /\.(d\.ts|mjs)$/.test(name))) {
      const target = /from "([^"]+)"/.exec(readFileSync(join(kfcDir, file), "utf8"))?.[1] as string;
      expect(existsSync(sourceOf(join("dist", target.replace(/^(\.\.\/)+dist\//, "")))), file).toBe(true);
    }
  });
});
