import { resolve } from "node:path";
import { Command } from "commander";
import { describeObject, findModuleObjects, moduleConfigOf, undeployModule } from "../../build/index.ts";
import type { Flavor } from "../../model/index.ts";
import { moduleNamespace } from "../../model/index.ts";
import { connectWithFlags, contextOption, kubeconfigOption } from "../kubeconfig-flags.ts";
import { confirm } from "./deploy.ts";

interface UndeployFlags {
  dir: string;
  yes?: boolean;
  purge?: boolean;
  dryRun?: boolean;
  kubeconfig?: string;
  context?: string;
}

interface Target {
  readonly uuid: string;
  readonly flavor?: Flavor;
  readonly namespace?: string;
}

/** The module to remove: the uuid given, else the module configured in the folder's package.json. */
function target(uuid: string | undefined, dir: string): Target {
  if (uuid) return { uuid };
  let config: ReturnType<typeof moduleConfigOf>;
  try {
    config = moduleConfigOf(dir);
  } catch (error) {
    throw new Error(
      `No uuid given and no module here (${error instanceof Error ? error.message : String(error)}): pass the module's uuid (capstan uuid lists them)`,
    );
  }
  return { uuid: config.uuid, ...(config.flavor ? { flavor: config.flavor } : {}), namespace: moduleNamespace(config) };
}

export function undeployCommand(): Command {
  return new Command("undeploy")
    .alias("remove")
    .description(
      "delete everything a module's deploy created (webhook configurations first); keeps its Store objects and namespace unless --purge",
    )
    .argument("[uuid]", "the module's uuid (default: the module in --dir)")
    .option("--dir <dir>", "module folder, when no uuid is given", ".")
    .option(
      "--purge",
      "also delete the module's Store objects, and its namespace when no other module or workload uses it",
    )
    .option("-y, --yes", "do not ask for confirmation")
    .option("--dry-run", "list what would be deleted, delete nothing")
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .action(async (uuid: string | undefined, flags: UndeployFlags) => {
      const module = target(uuid, resolve(flags.dir));
      const client = await connectWithFlags(flags);
      try {
        const options = { ...module, purge: flags.purge === true };
        const objects = await findModuleObjects(client, module.uuid, options);
        if (objects.length === 0) {
          process.stderr.write(
            `capstan: nothing of module ${module.uuid} is deployed on ${client.connection.server}\n`,
          );
          return;
        }
        const list = objects.map((object) => `  ${describeObject(object)}`).join("\n");
        if (flags.dryRun) {
          process.stdout.write(`${list}\n`);
          process.stderr.write(
            `capstan: dry run: would delete these ${objects.length} objects of module ${module.uuid}\n`,
          );
          return;
        }
        if (!flags.yes) {
          const question = `This will delete ${objects.length} objects of module ${module.uuid} from ${client.connection.server}:\n${list}\nContinue?`;
          if (!(await confirm(question, "undeploy"))) {
            process.stderr.write("capstan: undeploy cancelled\n");
            process.exitCode = 1;
            return;
          }
        }
        const result = await undeployModule(client, module.uuid, {
          ...options,
          onDeleted: (description) => process.stderr.write(`capstan: deleted ${description}\n`),
        });
        for (const note of result.namespaces) process.stderr.write(`capstan: ${note}\n`);
        process.stderr.write(`capstan: module ${module.uuid} removed (${result.deleted.length} objects)\n`);
      } finally {
        await client.close();
      }
    });
}
