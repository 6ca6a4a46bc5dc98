import path from "node:path";
import { Command, Option } from "commander";
import type { CrdScope } from "../../build/index.ts";
import { type CrdDocument, DEFAULT_DOMAIN, generateCrds, scaffoldKind, writeCrdTypes } from "../../build/index.ts";
import { NotFoundError } from "../../k8s/index.ts";
import { connectWithFlags, type KubeconfigFlags, withKubeconfigFlags } from "../kubeconfig-flags.ts";

interface CreateFlags {
  group: string;
  kind: string;
  version: string;
  shortName: string;
  domain: string;
  scope: CrdScope;
  plural?: string;
}

function createCommand(): Command {
  return new Command("create")
    .description("(alpha) scaffold api/<version>/<kind>.ts with <Kind>Spec, <Kind>Status and <Kind>StatusCondition")
    .requiredOption("-g, --group <group>", "API group (the CRD group is <group>.<domain>)")
    .requiredOption("-k, --kind <kind>", "kind, PascalCase")
    .requiredOption("-v, --version <version>", "API version, e.g. v1alpha1")
    .requiredOption("-s, --short-name <name>", "short name for kubectl")
    .option("-d, --domain <domain>", "domain", DEFAULT_DOMAIN)
    .option("-p, --plural <plural>", "plural (default: from the kind)")
    .addOption(
      new Option("-S, --scope <scope>", "Namespaced or Cluster")
        .choices(["Namespaced", "Cluster"])
        .default("Namespaced"),
    )
    .action(async (flags: CreateFlags) => {
      const file = await scaffoldKind(process.cwd(), {
        kind: flags.kind,
        group: flags.group,
        version: flags.version,
        domain: flags.domain,
        shortName: flags.shortName,
        scope: flags.scope,
        ...(flags.plural ? { plural: flags.plural } : {}),
      });
      process.stderr.write(`capstan: wrote ${path.relative(process.cwd(), file)}; next: capstan crd generate\n`);
    });
}

function generateCommand(): Command {
  return new Command("generate")
    .description("(alpha) write one CRD YAML per kind from the TypeScript types in api/<version>/*.ts")
    .option("-o, --output <dir>", "output folder", "./crds")
    .action(async (flags: { output: string }) => {
      const generated = await generateCrds(process.cwd(), flags.output);
      for (const { file, crd } of generated)
        process.stderr.write(`capstan: wrote ${path.relative(process.cwd(), file)} (${crd.metadata.name})\n`);
    });
}

function typesCommand(): Command {
  return withKubeconfigFlags(
    new Command("types")
      .description(
        "TypeScript types (a GenericKind class with RegisterKind per served version) from CRD files, folders, or a cluster's CRD by name",
      )
      .argument(
        "<source...>",
        "a CRD file (YAML or JSON, several documents allowed), a folder of them, or <plural>.<group>",
      )
      .option("-o, --output <dir>", "output folder", "./api/types")
      .option(
        "--import-from <module>",
        'where GenericKind and RegisterKind come from (e.g. "kubernetes-fluent-client")',
        "capstan",
      ),
  ).action(async (sources: string[], flags: KubeconfigFlags & { output: string; importFrom: string }) => {
    const fetchCrd = async (name: string): Promise<CrdDocument | undefined> => {
      const client = await connectWithFlags(flags);
      try {
        return await client.request<CrdDocument>({
          path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        });
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      } finally {
        await client.close();
      }
    };
    const written = await writeCrdTypes(sources, flags.output, { importFrom: flags.importFrom, fetchCrd });
    for (const { file, className, origin } of written)
      process.stderr.write(`capstan: wrote ${path.relative(process.cwd(), file)} (${className}, from ${origin})\n`);
  });
}

export function crdCommand(): Command {
  return new Command("crd")
    .description("(alpha) scaffold custom resource types and generate their CRDs; types from existing CRDs")
    .addCommand(createCommand())
    .addCommand(generateCommand())
    .addCommand(typesCommand());
}
