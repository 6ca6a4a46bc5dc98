import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { type CustomResourceDefinition, crdOf } from "./crd-object.ts";
import { readCrdDefinitions } from "./read-api.ts";
import { CrdSourceError } from "./shapes.ts";

export interface GeneratedCrd {
  readonly file: string;
  readonly crd: CustomResourceDefinition;
}

/** The `api/<version>/*.ts` files under `moduleDir`, sorted. */
export async function apiSourceFiles(moduleDir: string): Promise<string[]> {
  const apiDir = path.resolve(moduleDir, "api");
  const versions = await readdir(apiDir, { withFileTypes: true }).catch(() => {
    throw new CrdSourceError(`${apiDir} does not exist; create a kind with "capstan crd create" first`);
  });
  const files: string[] = [];
  for (const version of versions.filter((entry) => entry.isDirectory())) {
    const dir = path.join(apiDir, version.name);
    for (const name of await readdir(dir))
      if (name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts"))
        files.push(path.join(dir, name));
  }
  return files.sort();
}

/** Reads `api/<version>/*.ts` and writes one `<kind>.yaml` CRD per kind into `outDir`. */
export async function generateCrds(moduleDir: string, outDir: string): Promise<GeneratedCrd[]> {
  const files = await apiSourceFiles(moduleDir);
  const definitions = readCrdDefinitions(files);
  if (definitions.length === 0)
    throw new CrdSourceError(`no kind found in ${path.resolve(moduleDir, "api")}: export a <Kind>Spec interface`);
  const target = path.resolve(moduleDir, outDir);
  await mkdir(target, { recursive: true });
  const generated: GeneratedCrd[] = [];
  for (const definition of definitions) {
    const crd = crdOf(definition);
    const file = path.join(target, `${definition.kind.toLowerCase()}.yaml`);
    await writeFile(file, stringify(crd));
    generated.push({ file, crd });
  }
  return generated;
}
