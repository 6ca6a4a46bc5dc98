// The layer check of ADR 0005, run by `npm run lint:layers` (scripts/lint-layers.ts).
// `layers` is the one home of the table: each folder under src/ and the folders it may import.

/** @type {Record<string, string[]>} */
const layers = {
  time: [],
  telemetry: ["time"],
  tls: ["time"],
  k8s: ["time", "telemetry"],
  informer: ["k8s", "time", "telemetry"],
  fluent: ["k8s", "informer", "time", "telemetry"],
  model: ["k8s", "fluent", "telemetry", "time"],
  contract: ["model", "k8s"],
  admission: ["model", "k8s", "fluent", "telemetry", "tls", "time", "contract"],
  controller: ["model", "k8s", "informer", "fluent", "telemetry", "time", "contract"],
  store: ["model", "k8s", "informer", "fluent", "telemetry", "time", "contract"],
  schedule: ["store", "model", "k8s", "fluent", "telemetry", "time", "contract"],
  audit: ["model", "contract", "k8s", "informer", "fluent", "admission", "controller", "telemetry", "time"],
  sdk: ["model", "k8s", "fluent", "informer", "telemetry", "time"],
  compat: ["model", "k8s", "fluent", "informer", "telemetry", "time"],
  image: ["time", "telemetry", "k8s", "contract"],
  shard: ["model", "contract", "k8s", "informer", "fluent", "controller", "telemetry", "time"],
  build: ["contract", "model", "admission", "audit", "store", "k8s", "fluent", "telemetry", "tls", "time", "image", "shard"],
};
const belowRuntime = Object.keys(layers);
layers.runtime = belowRuntime.filter((f) => f !== "build");
layers.testing = [...belowRuntime, "runtime"];
layers.cli = [...belowRuntime, "runtime", "testing"];

// Imports outside the table's rows: [from, to, why]. Each is also an exception to "through index.ts".
const exceptions = [
  [
    "^src/(runtime)/dev-",
    "^src/build/",
    "the dev session (capstan dev) bundles the module and derives its RBAC with build's code",
  ],
];
// Files that may import another folder's files directly: [from (its folder in brackets), to, why].
const deepImporters = [
  ...exceptions,
  [
    "^src/(cli)/",
    "^src/testing/",
    "src/testing/index.ts is the public capstan/testing entry, which must not grow with the CLI's needs",
  ],
];

// What other folders import: each folder's index.ts, and files that are entries of their own.
const entries = [
  "^src/[^/]+/index\\.ts$",
  // capstan dev's session loads esbuild and the type checker; only `capstan dev` and `monitor` need it.
  "^src/runtime/dev-session\\.ts$",
];

const folders = Object.keys(layers);
const anyOf = (names) => `(${names.join("|")})`;

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycle between files (type-only imports count too).",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "no-folder-cycle",
      comment: "No import cycle between folders.",
      severity: "error",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "src-not-tests",
      comment: "src/ never imports test/ or bench/.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "through-index",
      comment: "A cross-folder import targets the folder's index.ts (ADR 0005 lists the exceptions).",
      severity: "error",
      from: { path: "^src/([^/]+)/", pathNot: deepImporters.map(([from]) => from) },
      to: { path: "^src/[^/]+/.", pathNot: ["^src/$1/", ...entries] },
    },
    ...deepImporters.map(([from, to, why]) => ({
      name: "through-index",
      comment: `A cross-folder import targets the folder's index.ts, except ${why}`,
      severity: "error",
      from: { path: from },
      to: { path: "^src/([^/]+)/.", pathNot: ["^src/$1/", ...entries, to] },
    })),
    {
      name: "entry-through-index",
      comment: "src/index.ts re-exports from each folder's index.ts.",
      severity: "error",
      from: { path: "^src/index\\.ts$" },
      to: { path: "^src/[^/]+/.", pathNot: entries },
    },
    {
      name: "not-own-index",
      comment: "Inside a folder, files import each other directly, never through their own index.ts.",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/$1/index\\.ts$" },
    },
    {
      name: "unknown-folder",
      comment: "Every file under src/ lives in a folder of the layer table (.dependency-cruiser.cjs).",
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(index\\.ts$|${anyOf(folders)}/)` },
      to: {},
    },
    {
      name: "unknown-folder-orphan",
      comment: "Every file under src/ lives in a folder of the layer table (.dependency-cruiser.cjs).",
      severity: "error",
      from: { orphan: true, path: "^src/", pathNot: `^src/(index\\.ts$|${anyOf(folders)}/)` },
      to: {},
    },
    {
      name: "runtime-start-light",
      comment: "A deployed module process never loads the bundler or the TypeScript compiler.",
      severity: "error",
      from: { path: "^src/runtime/main\\.ts$" },
      to: { path: "^node_modules/(esbuild|typescript-api)/", reachable: true },
    },
    {
      name: "unresolvable",
      comment: "Every relative import resolves to a file.",
      severity: "error",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
  ],
  // "allowed": an import from src/ that matches none of these breaks the layer table.
  allowed: [
    ...folders.map((folder) => ({
      comment: `layer ${folder}`,
      from: { path: `^src/${folder}/` },
      to: { path: `^src/${anyOf([folder, ...layers[folder]])}/` },
    })),
    ...exceptions.map(([from, to, why]) => ({ comment: why, from: { path: from }, to: { path: to } })),
    {
      comment: "the public entry",
      from: { path: "^src/index\\.ts$" },
      to: { path: `^src/${anyOf(folders.filter((f) => f !== "cli"))}/` },
    },
    { comment: "node: builtins and npm packages", from: {}, to: { dependencyTypesNot: ["local"] } },
    { comment: "outside src/ (tests may import anything in src/)", from: { pathNot: "^src/" }, to: {} },
  ],
  allowedSeverity: "error",
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    moduleSystems: ["es6", "cjs"],
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".d.ts", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
