import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import ts from "typescript-api";

// The type checker of a `capstan dev` session, in a worker thread so that checking never stalls the
// session's webhook port. It keeps the last program: a check after an edit re-reads only the files
// that changed (by modification time) and re-checks only what depends on them.

export interface TypeCheckRequest {
  readonly id: number;
}
export interface TypeCheckResult {
  readonly id: number;
  /** One line each: `file:line:col: message`, the module's own files only. */
  readonly errors: readonly string[];
}

const { moduleDir, entry } = workerData as { readonly moduleDir: string; readonly entry: string };

/** Without a tsconfig.json: what esbuild does with the module (bundler resolution, .ts imports, JSON). */
const defaults: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2024,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2024.d.ts"],
  strict: true,
  allowImportingTsExtensions: true,
  resolveJsonModule: true,
  skipLibCheck: true,
};

function compilerOptions(): ts.CompilerOptions {
  const file = join(moduleDir, "tsconfig.json");
  let options = defaults;
  try {
    statSync(file);
    const read = ts.readConfigFile(file, ts.sys.readFile);
    if (!read.error) options = ts.parseJsonConfigFileContent(read.config, ts.sys, moduleDir).options;
  } catch {
    // no tsconfig.json
  }
  // Emit settings (Pepr's template sets declarationMap and emitDeclarationOnly) would clash with noEmit.
  return {
    ...options,
    noEmit: true,
    incremental: false,
    composite: false,
    declaration: false,
    declarationMap: false,
    emitDeclarationOnly: false,
  };
}

const cache = new Map<string, { mtimeMs: number; file: ts.SourceFile }>();
let previous: ts.SemanticDiagnosticsBuilderProgram | undefined;

function check(): string[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError, shouldCreate) => {
    let mtimeMs = -1;
    try {
      mtimeMs = statSync(fileName).mtimeMs;
    } catch {
      return undefined;
    }
    const cached = cache.get(fileName);
    if (cached && cached.mtimeMs === mtimeMs && !shouldCreate) return cached.file;
    const file = read(fileName, language, onError, shouldCreate);
    if (!file) return undefined;
    // The builder compares versions to find what changed.
    (file as ts.SourceFile & { version?: string }).version = String(mtimeMs);
    cache.set(fileName, { mtimeMs, file });
    return file;
  };
  const program = ts.createSemanticDiagnosticsBuilderProgram([resolve(moduleDir, entry)], options, host, previous);
  previous = program;
  // Only the module's own files are checked: the libraries' declarations (a Pepr template sets no
  // skipLibCheck) took most of a first check and their errors were never shown.
  const own = program
    .getSourceFiles()
    .filter((file) => !file.fileName.includes("/node_modules/") && !file.isDeclarationFile);
  const diagnostics = [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...own.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  return diagnostics
    .filter((d) => d.category === ts.DiagnosticCategory.Error && !d.file?.fileName.includes("/node_modules/"))
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      if (!d.file || d.start === undefined) return text;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const name = d.file.fileName.startsWith(`${moduleDir}/`)
        ? d.file.fileName.slice(moduleDir.length + 1)
        : d.file.fileName;
      return `${name}:${line + 1}:${character + 1}: ${text}`;
    });
}

parentPort?.on("message", (request: TypeCheckRequest) => {
  let errors: string[];
  try {
    errors = check();
  } catch (error) {
    errors = [`the type checker failed: ${error instanceof Error ? error.message : String(error)}`];
  }
  parentPort?.postMessage({ id: request.id, errors } satisfies TypeCheckResult);
});
