import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import {
  checkImage,
  deployModule,
  deploymentImages,
  describeImageCheck,
  manifestFlavor,
  parseManifests,
} from "../../build/index.ts";
import { connectWithFlags, contextOption, kubeconfigOption } from "../kubeconfig-flags.ts";

interface DeployFlags {
  dir: string;
  yes?: boolean;
  force?: boolean;
  dryRun?: boolean;
  imageCheck: boolean;
  timeout: string;
  wait: boolean;
  kubeconfig?: string;
  context?: string;
  controllerReplicas?: string;
}

/**
 * `--controller-replicas N`: sets the controller Deployment's replica count (each replica is one shard
 * when the module sets `controller.shards`). Throws with what to pass for a bad value or a module
 * without a controller.
 */
export function setControllerReplicas(objects: ReturnType<typeof parseManifests>, value: string): void {
  const replicas = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isInteger(replicas) || replicas < 1) {
    throw new Error(`--controller-replicas ${value}: use a whole number ≥ 1`);
  }
  const controllers = objects.filter((object) => {
    if (object.kind !== "Deployment") return false;
    const spec = object.spec as { template?: { spec?: { containers?: { name?: string }[] } } } | undefined;
    return spec?.template?.spec?.containers?.[0]?.name === "controller";
  });
  if (controllers.length === 0) {
    throw new Error(
      "--controller-replicas: this module has no controller Deployment (no Watch, Reconcile, Finalize or schedule)",
    );
  }
  for (const deployment of controllers) (deployment.spec as { replicas?: number }).replicas = replicas;
}

/** The one `capstan-module-*.yaml` (or, for a Pepr module, `pepr-module-*.yaml`) in the build folder. */
export function findManifest(dir: string): string {
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: run capstan build first`);
  const files = readdirSync(dir).filter((file) => /^(capstan|pepr)-module-.*\.yaml$/.test(file));
  if (files.length !== 1) {
    throw new Error(
      `${dir} must hold exactly one capstan-module-<uuid>.yaml or pepr-module-<uuid>.yaml (found ${files.length}): run capstan build`,
    );
  }
  return join(dir, files[0] as string);
}

/** Asks on the terminal; without one, fails telling the user to pass --yes. */
export async function confirm(question: string, command = "deploy"): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error(`No terminal to confirm on: pass --yes to ${command} without asking`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

export { manifestFlavor };

export function deployCommand(): Command {
  return new Command("deploy")
    .description("server-side apply the built module (dist/) and wait for its rollout")
    .option("--dir <dir>", "build output folder", "dist")
    .option("-y, --yes", "do not ask for confirmation")
    .option("-f, --force", "take over fields other field managers own (server-side apply force)")
    .option("--dry-run", "validate every object on the server without changing anything")
    .option("--timeout <seconds>", "how long to wait for the rollout", "300")
    .option("--no-wait", "do not wait for the rollout")
    .option("--no-image-check", "do not ask the registry whether the runtime image exists")
    .option(
      "--controller-replicas <n>",
      "controller replicas (each one shard with controller.shards); default: the build's",
    )
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .action(async (flags: DeployFlags) => {
      const file = findManifest(resolve(flags.dir));
      const objects = parseManifests(readFileSync(file, "utf8"));
      if (flags.controllerReplicas !== undefined) setControllerReplicas(objects, flags.controllerReplicas);
      if (flags.imageCheck) {
        for (const image of deploymentImages(objects)) {
          process.stderr.write(`capstan: ${describeImageCheck(image, await checkImage(image))}\n`);
        }
      }
      const client = await connectWithFlags(flags);
      const verb = flags.dryRun ? "validate (dry run)" : "apply";
      if (!flags.yes && !flags.dryRun) {
        const ok = await confirm(
          `This will ${verb} ${objects.length} objects from ${file} to ${client.connection.server}. Continue?`,
        );
        if (!ok) {
          process.stderr.write("capstan: deploy cancelled\n");
          process.exitCode = 1;
          return;
        }
      }
      let last = "";
      const result = await deployModule(client, objects, {
        force: flags.force === true,
        dryRun: flags.dryRun === true,
        wait: flags.wait,
        timeoutMs: Number(flags.timeout) * 1000,
        log: (line) => process.stderr.write(`capstan: ${line}\n`),
        onRollout: (states) => {
          const line = states.map((state) => `${state.name}: ${state.summary}`).join("; ");
          if (line !== last) process.stderr.write(`capstan: rollout ${line}\n`);
          last = line;
        },
      });
      if (flags.dryRun) return;
      const pruned = result.prunedSecrets > 0 ? `; removed ${result.prunedSecrets} Secret(s) of older builds` : "";
      const pepr = result.tookOverPepr ? "; took over Pepr's deployment" : "";
      process.stderr.write(`capstan: deployed${pepr}${pruned}\n`);
    });
}
