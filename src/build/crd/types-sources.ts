// Where `capstan crd types` reads CRDs from: YAML/JSON files (several documents each), the files of
// a folder, or a live cluster's CRD by name.
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { CrdSourceError } from "./shapes.ts";
import { type CrdDocument, typesFromCrd } from "./types-from-crd.ts";

export interface CrdFromSource {
  readonly crd: CrdDocument;
  readonly origin: string;
}

/** Reads a CRD from the cluster by name (`widgets.example.com`), or undefined when it has none. */
export type CrdFetcher = (name: string) => Promise<CrdDocument | undefined>;

async function fromFile(file: string): Promise<CrdFromSource[]> {
  const text = await readFile(file, "utf8");
  const found: CrdFromSource[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    if (document.errors.length > 0) {
      throw new CrdSourceError(`${file}: not valid YAML or JSON: ${document.errors[0]?.message ?? "parse error"}`);
    }
    const value = document.toJSON() as CrdDocument | null;
    if (value === null) continue;
    if (value.kind === "CustomResourceDefinition") found.push({ crd: value, origin: `${file}#${index}` });
  }
  if (found.length === 0) throw new CrdSourceError(`${file}: holds no CustomResourceDefinition`);
  return found;
}

/** Every CRD the sources name, in the order given (a folder's files by name). */
export async function readCrdSources(sources: readonly string[], fetchCrd: CrdFetcher): Promise<CrdFromSource[]> {
  const found: CrdFromSource[] = [];
  for (const source of sources) {
    const info = await stat(source).catch(() => undefined);
    if (info?.isDirectory()) {
      const files = (await readdir(source)).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();
      if (files.length === 0) throw new CrdSourceError(`${source}: a folder without .yaml, .yml or .json files`);
      for (const name of files) found.push(...(await fromFile(path.join(source, name))));
    } else if (info) {
      found.push(...(await fromFile(source)));
    } else if (/^[a-z0-9.-]+\.[a-z0-9.-]+$/.test(source)) {
      const crd = await fetchCrd(source);
      if (!crd) throw new CrdSourceError(`${source}: no such file, and the cluster has no CRD of that name`);
      found.push({ crd, origin: `the cluster's CRD ${source}` });
    } else {
      throw new CrdSourceError(`${source}: no such file or folder (a cluster CRD is named <plural>.<group>)`);
    }
  }
  return found;
}

export interface WrittenTypes {
  readonly file: string;
  readonly className: string;
  readonly origin: string;
}

/** Generates and writes the types of every CRD the sources name; two CRDs may not want the same file. */
export async function writeCrdTypes(
  sources: readonly string[],
  outDir: string,
  options: { readonly importFrom?: string; readonly fetchCrd: CrdFetcher },
): Promise<WrittenTypes[]> {
  const generated = (await readCrdSources(sources, options.fetchCrd)).flatMap(({ crd, origin }) =>
    typesFromCrd(crd, { origin, ...(options.importFrom ? { importFrom: options.importFrom } : {}) }).map((types) => ({
      ...types,
      origin,
    })),
  );
  const byFile = new Map<string, string>();
  for (const { file, origin } of generated) {
    const other = byFile.get(file);
    if (other)
      throw new CrdSourceError(`${origin} and ${other} both give ${file}: generate them into separate folders`);
    byFile.set(file, origin);
  }
  await mkdir(outDir, { recursive: true });
  for (const { file, source } of generated) await writeFile(path.join(outDir, file), source);
  return generated.map(({ file, className, origin }) => ({ file: path.join(outDir, file), className, origin }));
}
