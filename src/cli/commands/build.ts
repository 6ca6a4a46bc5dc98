import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import {
  ADMIN_RBAC_WARNING,
  buildModule,
  checkImage,
  deploymentImages,
  describeImageCheck,
  parseManifests,
  type RbacMode,
  writeZarfPackage,
  ZARF_MODES,
  type ZarfMode,
} from "../../build/index.ts";
import { assembleModuleImage, defaultImageReference, type ImageFlags, withImageFlags } from "./image.ts";

interface BuildFlags extends ImageFlags {
  buildImage?: boolean;
  zarf?: ZarfMode;
  entryPoint?: string;
  output: string;
  rbacMode: RbacMode;
  image?: string;
  antiAffinity?: boolean;
  typecheck: boolean;
  imageCheck: boolean;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export function buildCommand(): Command {
  return withImageFlags(new Command("build"))
    .description("typecheck, bundle and describe the module, then write dist/: static YAML and a Helm chart")
    .option("-e, --entry-point <file>", "module entry (default: capstan.ts, else pepr.ts)")
    .option("-o, --output <dir>", "output folder", "dist")
    .addOption(
      new Option("-M, --rbac-mode <mode>", "scoped: least privilege from the bindings; admin: everything (demos only)")
        .choices(["scoped", "admin"])
        .default("scoped"),
    )
    .option("-i, --image <image>", "runtime image <repository>[:<tag>] (tag default: the installed capstan version)")
    .option("--anti-affinity", "require admission replicas on different nodes")
    .option("--no-typecheck", "skip the TypeScript check")
    .option("--no-image-check", "do not ask the registry whether the runtime image exists")
    .option("--build-image", "also build the module's OCI image (capstan image build) into <output>/image")
    .addOption(
      new Option(
        "--zarf <mode>",
        "also write zarf.yaml packaging the static manifests or the Helm chart, and the image",
      ).choices([...ZARF_MODES]),
    )
    .action(async (flags: BuildFlags) => {
      if (flags.rbacMode === "admin") process.stderr.write(`capstan: warning: ${ADMIN_RBAC_WARNING}\n`);
      const started = Date.now();
      if (flags.push) flags.image = flags.push;
      if (flags.buildImage && !flags.image) flags.image = defaultImageReference(process.cwd());
      const report = await buildModule({
        moduleDir: process.cwd(),
        outDir: flags.output,
        rbacMode: flags.rbacMode,
        antiAffinity: flags.antiAffinity === true,
        typecheck: flags.typecheck,
        ...(flags.entryPoint ? { entry: flags.entryPoint } : {}),
        ...(flags.image ? { image: flags.image } : {}),
        onProgress: (step) => process.stderr.write(`capstan: ${step}…\n`),
      });
      const bindings = report.description.capabilities.reduce((sum, capability) => sum + capability.bindings.length, 0);
      process.stderr.write(
        `capstan: ${report.description.capabilities.length} capabilities, ${bindings} bindings; bundle ${kib(report.bundleBytes)} (${kib(report.zippedBytes)} gzipped) in ${report.chunkSecrets} Secret(s)\n` +
          `capstan: wrote ${report.objects} objects to ${report.manifestFile} and the chart ${report.chartDir} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      for (const warning of report.rbacWarnings) process.stderr.write(`capstan: warning: ${warning}\n`);
      const images = deploymentImages(parseManifests(readFileSync(report.manifestFile, "utf8")));
      if (flags.buildImage || flags.push) {
        // The image goes to <output>/image (flags.output is the build's folder, not the image's).
        const { output: _buildOutput, ...imageFlags } = flags;
        await assembleModuleImage(process.cwd(), report.outDir, flags.image as string, imageFlags);
        flags.imageCheck = flags.imageCheck && Boolean(flags.push);
      }
      if (flags.zarf) {
        const file = await writeZarfPackage({
          mode: flags.zarf,
          uuid: report.description.config.uuid,
          description: report.description.description,
          version: report.description.version,
          namespace: report.description.config.namespace as string,
          outDir: report.outDir,
          manifestFile: report.manifestFile,
          chartDir: report.chartDir,
          chartVersion: report.description.version,
          images,
        });
        process.stderr.write(
          `capstan: wrote ${file} (Zarf package, ${flags.zarf}); zarf package create pulls ${images.join(", ")}\n`,
        );
      }
      for (const image of images) {
        const check = flags.imageCheck ? await checkImage(image) : undefined;
        const line = check ? describeImageCheck(image, check) : `the manifests use image ${image} (not checked)`;
        process.stderr.write(`capstan: ${line}\n`);
      }
    });
}
