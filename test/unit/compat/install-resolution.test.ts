import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundleModule } from "../../../src/build/bundle.ts";
import { installedCapstan } from "../../../src/build/module-package.ts";

function folder(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), "capstan-compat-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
const manifest = (name: string, version: string) => JSON.stringify({ name, version });

describe("the installed capstan, under whichever name", () => {
  it("finds capstan installed as the module's pepr dependency, by its package.json name", () => {
    const dir = folder({ "node_modules/pepr/package.json": manifest("capstan", "0.1.0") });
    expect(installedCapstan(dir)).toMatchObject({ version: "0.1.0", installedAs: "pepr" });
  });

  it("prefers the name the bundle imports (capstan), and looks through parent folders", () => {
    const dir = folder({
      "node_modules/pepr/package.json": manifest("capstan", "0.1.0"),
      "module/package.json": "{}",
    });
    symlinkSync(join(dir, "node_modules", "pepr"), join(dir, "node_modules", "capstan"));
    expect(installedCapstan(join(dir, "module"))).toEqual({
      root: join(dir, "node_modules", "pepr"),
      version: "0.1.0",
      installedAs: "capstan",
    });
  });

  it("says when node_modules/pepr is Pepr itself, and what to change", () => {
    const dir = folder({ "node_modules/pepr/package.json": manifest("pepr", "1.1.4") });
    expect(() => installedCapstan(dir)).toThrow(
      /capstan is not installed in .* \(node_modules\/pepr is pepr@1\.1\.4\): point the module's "pepr" dependency at capstan \("pepr": "npm:capstan@<version>"/,
    );
  });

  it("says what to install when nothing is there", () => {
    expect(() => installedCapstan(folder({ "package.json": "{}" }))).toThrow(/capstan is not installed in .*: point/);
  });
});

describe("bundling a Pepr module", () => {
  it("imports pepr, its deep paths and kubernetes-fluent-client from capstan; bundles fast-json-patch", async () => {
    const dir = folder({
      "package.json": "{}",
      "pepr.ts": [
        'import { a, Capability, PeprModule } from "pepr";',
        'import { peprStoreGVK } from "pepr/src/lib/k8s";',
        'import { K8s, kind, WatchPhase } from "kubernetes-fluent-client";',
        'import { compare } from "fast-json-patch";',
        'const c = new Capability({ name: "c", description: "d" });',
        "c.When(a.Pod).IsCreated().Watch(async (pod, phase) => {",
        "  if (phase === WatchPhase.Added) await K8s(kind.Pod).Patch(compare({}, { x: peprStoreGVK.kind }) as never);",
        "});",
        'new PeprModule({ pepr: { uuid: "u", onError: "reject" } } as never, [c]);',
      ].join("\n"),
      "node_modules/fast-json-patch/package.json": JSON.stringify({ name: "fast-json-patch", main: "index.js" }),
      "node_modules/fast-json-patch/index.js": "exports.compare = () => [{ op: 'add', path: '/bundled', value: 1 }];",
    });
    const result = await bundleModule({ moduleDir: dir, entry: "pepr.ts", outDir: "dist", minify: false });
    const code = readFileSync(result.outFile, "utf8");
    const imports = [...code.matchAll(/from\s*"([^"]+)"/g)].map((match) => match[1]).sort();
    expect(imports).toEqual(["capstan", "capstan/kubernetes-fluent-client", "capstan/src/lib/k8s", "node:module"]);
    expect(code).toContain("/bundled");
  });
});
