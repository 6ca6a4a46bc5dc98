import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { buildCommand } from "./commands/build.ts";
import { clusterCommand } from "./commands/cluster.ts";
import { crdCommand } from "./commands/crd.ts";
import { deployCommand } from "./commands/deploy.ts";
import { devCommand } from "./commands/dev.ts";
import { imageCommand } from "./commands/image.ts";
import { initCommand } from "./commands/init.ts";
import { monitorCommand } from "./commands/monitor.ts";
import { previewCommand } from "./commands/preview.ts";
import { storeCommand } from "./commands/store.ts";
import { testCommand } from "./commands/test.ts";
import { undeployCommand } from "./commands/undeploy.ts";
import { uuidCommand } from "./commands/uuid.ts";

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("capstan")
    .description("Kubernetes admission control and operators in TypeScript")
    .version(capstanVersion())
    .exitOverride()
    .showHelpAfterError();
  program.addCommand(clusterCommand());
  program.addCommand(initCommand());
  program.addCommand(buildCommand());
  program.addCommand(imageCommand());
  program.addCommand(deployCommand());
  program.addCommand(undeployCommand());
  program.addCommand(devCommand());
  program.addCommand(monitorCommand());
  program.addCommand(previewCommand());
  program.addCommand(testCommand());
  program.addCommand(uuidCommand());
  program.addCommand(crdCommand());
  program.addCommand(storeCommand());
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`capstan: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** capstan's own version (not the module's: `npm_package_version` names the package npm runs in). */
export function capstanVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  try {
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "capstan" && pkg.version) return pkg.version;
  } catch {}
  return "0.0.0";
}
