import path from "node:path";
import ts from "typescript-api";
import { pluralOf } from "./crd-object.ts";
import { type CrdDefinition, type CrdScope, CrdSourceError } from "./shapes.ts";
import { TypeShaper } from "./type-shape.ts";

export const DEFAULT_GROUP = "example";
export const DEFAULT_DOMAIN = "pepr.dev";

/** Source text for files that are not on disk (tests); every other file is read from disk. */
export type SourceOverrides = ReadonlyMap<string, string>;

/**
 * Reads the kinds declared in `api/<version>/*.ts` files. A file declares a kind with an exported
 * `<Kind>Spec` interface or type (or a `// Kind: <Kind>` header); files without one are skipped.
 */
export function readCrdDefinitions(files: readonly string[], overrides: SourceOverrides = new Map()): CrdDefinition[] {
  const program = ts.createProgram({
    rootNames: [...files],
    options: {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
      lib: ["lib.es2022.d.ts"],
      skipLibCheck: true,
      types: [],
    },
    host: hostWith(overrides),
  });
  reportErrors(program, files);
  const checker = program.getTypeChecker();
  const definitions: CrdDefinition[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new CrdSourceError(`${file}: cannot be read`);
    const definition = readDefinition(source, checker);
    if (definition) definitions.push(definition);
  }
  return definitions;
}

/** Type errors would turn types into `any` silently, so they stop the generator. */
function reportErrors(program: ts.Program, files: readonly string[]): void {
  const diagnostics = files.flatMap((file) => {
    const source = program.getSourceFile(file);
    return source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
  });
  if (diagnostics.length === 0) return;
  const text = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  });
  throw new CrdSourceError(`the api types do not compile:\n${text.trimEnd()}`);
}

function hostWith(overrides: SourceOverrides): ts.CompilerHost {
  const host = ts.createCompilerHost({});
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, version, onError, create) => {
    const text = overrides.get(name);
    return text === undefined
      ? getSourceFile(name, version, onError, create)
      : ts.createSourceFile(name, text, version);
  };
  host.fileExists = (name) => overrides.has(name) || fileExists(name);
  host.readFile = (name) => overrides.get(name) ?? readFile(name);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) =>
    [...overrides.keys()].some((file) => file.startsWith(`${name}/`)) || (directoryExists?.(name) ?? false);
  return host;
}

function readDefinition(source: ts.SourceFile, checker: ts.TypeChecker): CrdDefinition | undefined {
  const file = source.fileName;
  const headers = headerComments(source.text);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
  const byName = new Map(exported.map((symbol) => [symbol.getName(), symbol]));
  const kind = headers.get("Kind") ?? kindFromSpec(file, [...byName.keys()]);
  if (!kind) return undefined;
  const specSymbol = byName.get(`${kind}Spec`);
  if (!specSymbol) throw new CrdSourceError(`${file}: the kind ${kind} needs an exported ${kind}Spec interface`);
  const strings = exportedStrings(source);
  const group = strings.get("Group") ?? headers.get("Group") ?? DEFAULT_GROUP;
  const domain = strings.get("Domain") ?? headers.get("Domain") ?? DEFAULT_DOMAIN;
  const version = strings.get("Version") ?? headers.get("Version") ?? path.basename(path.dirname(file));
  const details = detailsOf(source);
  const scope = details.get("scope") ?? "Namespaced";
  if (scope !== "Namespaced" && scope !== "Cluster")
    throw new CrdSourceError(`${file}: details.scope must be "Namespaced" or "Cluster", not "${scope}"`);
  const shortName = details.get("shortName");
  const statusSymbol = byName.get(`${kind}Status`);
  const spec = typeAndDoc(specSymbol, checker, file);
  const status = statusSymbol ? typeAndDoc(statusSymbol, checker, file) : undefined;
  const kindDoc = headers.get("Description");
  return {
    sourceFile: file,
    group: `${group}.${domain}`,
    version,
    kind,
    plural: details.get("plural") ?? pluralOf(kind),
    scope: scope satisfies CrdScope,
    shortNames: shortName ? [shortName] : [],
    spec: spec.shape,
    ...(spec.description ? { specDescription: spec.description } : {}),
    ...(status ? { status: status.shape } : {}),
    ...(status?.description ? { statusDescription: status.description } : {}),
    ...(kindDoc ? { description: kindDoc } : {}),
  };
}

function kindFromSpec(file: string, exportedNames: readonly string[]): string | undefined {
  const kinds = exportedNames.filter((name) => /^[A-Z]\w*Spec$/.test(name)).map((name) => name.slice(0, -4));
  if (kinds.length > 1)
    throw new CrdSourceError(
      `${file}: exports ${kinds.map((kind) => `${kind}Spec`).join(", ")}; add a "// Kind: <Kind>" header to pick one`,
    );
  return kinds[0];
}

function typeAndDoc(symbol: ts.Symbol, checker: ts.TypeChecker, file: string) {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const type = checker.getDeclaredTypeOfSymbol(target);
  const description = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
  const shape = new TypeShaper(checker, `${file}: ${symbol.getName()}`).objectShape(type, "");
  return { shape, description };
}

/** `// Kind: Widget`, `// Group: shop`, `// Version: v1alpha1`, `// Domain: example.com` at the top of the file. */
function headerComments(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const match of text.matchAll(/^\/\/\s*(Kind|Group|Version|Domain|Description):\s*(.+?)\s*$/gm)) {
    const [, key, value] = match;
    if (key && value && !headers.has(key)) headers.set(key, value);
  }
  return headers;
}

/** `export const Name = "literal"` declarations. */
function exportedStrings(source: ts.SourceFile): Map<string, string> {
  const values = new Map<string, string>();
  for (const declaration of exportedConsts(source)) {
    const initializer = declaration.initializer && unwrap(declaration.initializer);
    if (ts.isIdentifier(declaration.name) && initializer && ts.isStringLiteralLike(initializer))
      values.set(declaration.name.text, initializer.text);
  }
  return values;
}

/** The string properties of `export const details = { plural, scope, shortName }`. */
function detailsOf(source: ts.SourceFile): Map<string, string> {
  const values = new Map<string, string>();
  const declaration = exportedConsts(source).find((d) => ts.isIdentifier(d.name) && d.name.text === "details");
  const initializer = declaration?.initializer && unwrap(declaration.initializer);
  if (!initializer || !ts.isObjectLiteralExpression(initializer)) return values;
  for (const property of initializer.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) continue;
    const value = unwrap(property.initializer);
    if (ts.isStringLiteralLike(value)) values.set(property.name.text, value.text);
  }
  return values;
}

function exportedConsts(source: ts.SourceFile): ts.VariableDeclaration[] {
  return source.statements
    .filter(ts.isVariableStatement)
    .filter((statement) => statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword))
    .flatMap((statement) => [...statement.declarationList.declarations]);
}

/** `"x" as const`, `("x")`, `{…} satisfies T`. */
function unwrap(expression: ts.Expression): ts.Expression {
  if (ts.isAsExpression(expression) || ts.isSatisfiesExpression(expression) || ts.isParenthesizedExpression(expression))
    return unwrap(expression.expression);
  return expression;
}
