import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import { applyAll, parseManifests } from "../../build/deploy/apply.ts";
import { describeObject } from "../../build/deploy/object-paths.ts";
import { waitForRollout } from "../../build/deploy/rollout.ts";
import type { KubeObject } from "../../build/manifest-input.ts";
import { MODULE_SHA_LABEL } from "../../build/runtime-contract.ts";
import { ApiClient } from "../../k8s/api-client.ts";
import { type Flavor, flavorNames } from "../../model/flavor.ts";

interface DeployFlags {
  dir: string;
  yes?: boolean;
  force?: boolean;
  dryRun?: boolean;
  timeout: string;
  wait: boolean;
  kubeconfig?: string;
  context?: string;
}

/** The one `capstan-module-*.yaml` in the build folder. */
export function findManifest(dir: string): string {
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: run capstan build first`);
  const files = readdirSync(dir).filter((file) => /^capstan-module-.*\.yaml$/.test(file));
  if (files.length !== 1) {
    throw new Error(
      `${dir} must hold exactly one capstan-module-<uuid>.yaml (found ${files.length}): run capstan build`,
    );
  }
  return join(dir, files[0] as string);
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error("No terminal to confirm on: pass --yes to deploy without asking");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/** Pepr-mode manifests carry Pepr's uuid label (`pepr.dev/uuid`); capstan's carry `capstan.dev/uuid`. */
export function manifestFlavor(objects: readonly KubeObject[]): Flavor {
  const peprLabel = flavorNames("pepr").uuidLabel;
  return objects.some((object) => object.metadata.labels?.[peprLabel] !== undefined) ? "pepr" : "capstan";
}

/** Deletes module-code Secrets of older builds once the new one is rolled out. */
async function pruneOldModuleSecrets(client: ApiClient, objects: readonly KubeObject[]): Promise<number> {
  const current = objects.find((object) => object.kind === "Secret" && object.metadata.labels?.[MODULE_SHA_LABEL]);
  if (!current?.metadata.namespace) return 0;
  const uuidLabel = flavorNames(manifestFlavor(objects)).uuidLabel;
  const uuid = current.metadata.labels?.[uuidLabel] as string;
  const sha = current.metadata.labels?.[MODULE_SHA_LABEL] as string;
  const path = `/api/v1/namespaces/${encodeURIComponent(current.metadata.namespace)}/secrets`;
  const selector = `${uuidLabel}=${uuid},${MODULE_SHA_LABEL},${MODULE_SHA_LABEL}!=${sha}`;
  const list = await client.request<{ items: KubeObject[] }>({ path, query: { labelSelector: selector } });
  for (const secret of list.items) {
    await client.request({ method: "DELETE", path: `${path}/${encodeURIComponent(secret.metadata.name)}` });
  }
  return list.items.length;
}

export function deployCommand(): Command {
  return new Command("deploy")
    .description("server-side apply the built module (dist/) and wait for its rollout")
    .option("--dir <dir>", "build output folder", "dist")
    .option("-y, --yes", "do not ask for confirmation")
    .option("-f, --force", "take over fields other field managers own (server-side apply force)")
    .option("--dry-run", "validate every object on the server without changing anything")
    .option("--timeout <seconds>", "how long to wait for the rollout", "300")
    .option("--no-wait", "do not wait for the rollout")
    .option("--kubeconfig <file>", "kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
    .option("--context <name>", "kubeconfig context")
    .action(async (flags: DeployFlags) => {
      const file = findManifest(resolve(flags.dir));
      const objects = parseManifests(readFileSync(file, "utf8"));
      const client = await ApiClient.fromKubeconfig({
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
      });
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
      let applied = 0;
      await applyAll(client, objects, {
        // Pepr-mode manifests apply as `pepr`, Pepr's own manager, so they replace what Pepr deployed.
        fieldManager: flavorNames(manifestFlavor(objects)).fieldManager,
        force: flags.force === true,
        dryRun: flags.dryRun === true,
        onApplied: (object) => {
          applied++;
          process.stderr.write(
            `capstan: [${applied}/${objects.length}] ${flags.dryRun ? "validated" : "applied"} ${describeObject(object)}\n`,
          );
        },
      });
      if (flags.dryRun || !flags.wait) return;
      const deployments = objects.filter((object) => object.kind === "Deployment");
      let last = "";
      await waitForRollout(client, deployments, {
        timeoutMs: Number(flags.timeout) * 1000,
        onProgress: (states) => {
          const line = states.map((state) => `${state.name}: ${state.summary}`).join("; ");
          if (line !== last) process.stderr.write(`capstan: rollout ${line}\n`);
          last = line;
        },
      });
      const pruned = await pruneOldModuleSecrets(client, objects);
      process.stderr.write(`capstan: deployed${pruned > 0 ? `; removed ${pruned} Secret(s) of older builds` : ""}\n`);
    });
}
