// `npm run lint:layers [-- <root>] [-- --output-type <reporter>]`: the layer check of ADR 0005.
// 1. dependency-cruiser with .dependency-cruiser.cjs over <root>/src (the layer table, cycles, index.ts);
// 2. environment variables are read only where ENV_READERS says.
// Exits 1 on any violation. <root> defaults to the repository; the unit test points it at fixtures.
import { readdirSync, readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// dependency-cruiser reads TypeScript through the `typescript` package's compiler API. Ours is
// TypeScript 7, the native compiler with no such API, so dependency-cruiser gets `typescript-api`
// (TypeScript 5.9, already a dependency). Without it, .ts files would be parsed loosely as
// JavaScript and type-only imports would go unseen.
registerHooks({
  resolve(specifier, context, next) {
    const fromCruiser = context.parentURL?.includes("/node_modules/dependency-cruiser/") ?? false;
    const isTypescript = specifier === "typescript" || specifier.startsWith("typescript/");
    return next(fromCruiser && isTypescript ? `typescript-api${specifier.slice("typescript".length)}` : specifier, context);
  },
});

/** Folders and files that may read `process.env`; everything else receives options (ADR 0005). */
const ENV_READERS: readonly string[] = [
  "src/runtime/",
  "src/cli/",
  "src/testing/",
  // The default connection (kubeconfig list, else in-cluster), also for module code's K8s() client.
  "src/k8s/connection.ts",
  // LOG_LEVEL and PINO_TIME_STAMP, when module code's `Log` is created at import.
  "src/telemetry/logger.ts",
  // Forwards the environment to the discovery child process; reads no setting.
  "src/build/discover.ts",
];

const repo = fileURLToPath(new URL("..", import.meta.url));

export interface LayerCheck {
  /** 0 when the tree keeps every rule. */
  exitCode: number;
  report: string;
}

/** Checks `<root>/src` against .dependency-cruiser.cjs and the env-read rule. */
export async function checkLayers(root: string, outputType = "err"): Promise<LayerCheck> {
  const { cruise, format } = await import("dependency-cruiser");
  const { default: extractOptions } = await import("dependency-cruiser/config-utl/extract-depcruise-options");
  const options = await extractOptions(join(repo, ".dependency-cruiser.cjs"));
  const cruised = await cruise(["src"], { ...options, baseDir: root, validate: true });
  if (typeof cruised.output === "string") throw new Error("dependency-cruiser returned a report, not a result");
  const formatted = await format(cruised.output, { outputType });
  const envReads = findEnvReads(root).map(
    (read) => `  error env-read: ${read} (pass the value down as an option from src/runtime or src/cli)\n`,
  );
  return {
    exitCode: formatted.exitCode > 0 || envReads.length > 0 ? 1 : 0,
    report: `${String(formatted.output)}${envReads.join("")}`,
  };
}

/** `file:line` of each `process.env` read outside ENV_READERS. */
function findEnvReads(root: string): string[] {
  const found: string[] = [];
  for (const file of tsFiles(join(root, "src"))) {
    const path = relative(root, file).split("\\").join("/");
    if (ENV_READERS.some((allowed) => path === allowed || path.startsWith(allowed))) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (ENV_READ.test(stripComment(line))) found.push(`${path}:${i + 1}`);
      });
  }
  return found;
}

// `process.env`, `process["env"]`, `{ env } = process` and `env` imported from node:process.
const ENV_READ = /\bprocess\s*(\.\s*env\b|\[\s*["'`]env["'`]\s*\])|\benv\b[^=]*}\s*=\s*process\b|\benv\b.*from\s+["'](node:)?process["']/;

function stripComment(line: string): string {
  const trimmed = line.trimStart();
  if (trimmed.startsWith("//") || trimmed.startsWith("*") || trimmed.startsWith("/*")) return "";
  return line;
}

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const typeAt = args.indexOf("--output-type");
  const outputType = typeAt >= 0 ? args[typeAt + 1] : "err";
  if (outputType === undefined) throw new Error("--output-type needs a reporter name (err, text, mermaid, dot…)");
  const root = args.find((arg, i) => !arg.startsWith("--") && (typeAt < 0 || i !== typeAt + 1));
  const { exitCode, report } = await checkLayers(resolve(root ?? repo), outputType);
  process.stdout.write(report);
  process.exitCode = exitCode;
}
