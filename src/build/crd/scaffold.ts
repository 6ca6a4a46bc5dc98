import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pluralOf } from "./crd-object.ts";
import type { CrdScope } from "./shapes.ts";

export interface ScaffoldOptions {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly domain: string;
  readonly shortName: string;
  readonly scope: CrdScope;
  readonly plural?: string;
}

/** Checks the names `crd create` puts in a CRD before anything is written. */
export function validateScaffold(options: ScaffoldOptions): void {
  const problems: string[] = [];
  if (!/^[A-Z][A-Za-z0-9]*$/.test(options.kind)) problems.push(`kind "${options.kind}" must be PascalCase (Widget)`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.group))
    problems.push(`group "${options.group}" must be a DNS label`);
  if (!/^v\d+((alpha|beta)\d+)?$/.test(options.version))
    problems.push(`version "${options.version}" must look like v1, v1alpha1 or v2beta3`);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.domain))
    problems.push(`domain "${options.domain}" is not a DNS name`);
  if (!/^[a-z][a-z0-9]*$/.test(options.shortName))
    problems.push(`short name "${options.shortName}" must be lowercase letters and digits`);
  if (problems.length > 0) throw new Error(`crd create: ${problems.join("; ")}`);
}

/** The source of `api/<version>/<kind>.ts` for a new kind. */
export function scaffoldSource(options: ScaffoldOptions): string {
  const { kind } = options;
  const plural = options.plural ?? pluralOf(kind);
  return `// Kind: ${kind}
// Group: ${options.group}
// Version: ${options.version}
// Domain: ${options.domain}

/** The desired state of a ${kind}. */
export interface ${kind}Spec {
  /** An example field: replace it with your own. */
  message: string;
}

/** The observed state of a ${kind}, written through the status subresource. */
export interface ${kind}Status {
  observedGeneration?: number;
  conditions?: ${kind}StatusCondition[];
}

export const details = {
  plural: "${plural}",
  scope: "${options.scope}",
  shortName: "${options.shortName}",
};

export type ${kind}StatusCondition = {
  /** The last time the condition changed from one status to another. */
  lastTransitionTime: Date;
  /** A human readable message about the transition. */
  message: string;
  /** The .metadata.generation the condition was set from. */
  observedGeneration?: number;
  /** A CamelCase reason for the last transition. */
  reason: string;
  /** The status of the condition. */
  status: "True" | "False" | "Unknown";
  /** The type of the condition, in CamelCase. */
  type: string;
};
`;
}

/** Writes `api/<version>/<kind>.ts` under `moduleDir`; refuses to overwrite. Returns the file. */
export async function scaffoldKind(moduleDir: string, options: ScaffoldOptions): Promise<string> {
  validateScaffold(options);
  const dir = path.resolve(moduleDir, "api", options.version);
  const file = path.join(dir, `${options.kind.toLowerCase()}.ts`);
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) throw new Error(`crd create: ${file} exists; remove it or pick another kind`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, scaffoldSource(options));
  return file;
}
