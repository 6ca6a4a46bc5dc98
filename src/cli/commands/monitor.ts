import { Command } from "commander";
import { moduleConfigOf } from "../../build/module-package.ts";
import { ApiClient } from "../../k8s/api-client.ts";
import { namesOf } from "../../model/flavor.ts";
import { type ModuleConfig, moduleNamespace } from "../../model/module-config.ts";
import { devLogFile } from "../../runtime/dev-session.ts";
import { formatMonitorLine } from "../monitor/format.ts";
import { followFile, followPods } from "../monitor/sources.ts";

interface MonitorOptions {
  namespace?: string;
  dev?: boolean;
}

/** The module config in ./package.json: required without a uuid argument, else only its flavor and namespace are read. */
function localConfig(required: boolean): ModuleConfig | undefined {
  try {
    return moduleConfigOf(process.cwd());
  } catch (error) {
    if (required) throw error;
    return undefined;
  }
}

export function monitorCommand(): Command {
  return new Command("monitor")
    .description("a live stream of admission decisions and controller actions, from the deployed pods or `capstan dev`")
    .argument("[uuid]", "the module (default: the uuid in ./package.json)")
    .option(
      "-n, --namespace <name>",
      "namespace the module is deployed in (default: ./package.json's, else pepr-system for a `pepr` block, capstan-system for `capstan`)",
    )
    .option("--dev", "follow the `capstan dev` session running in this folder instead of deployed pods")
    .action(async (uuid: string | undefined, opts: MonitorOptions) => {
      const abort = new AbortController();
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => abort.abort());
      const print = (line: string, source: string) => {
        const text = formatMonitorLine(line, source);
        if (text) process.stdout.write(`${text}\n`);
      };
      if (opts.dev) {
        await followFile(devLogFile(process.cwd()), print, abort.signal);
        return;
      }
      const local = localConfig(uuid === undefined);
      const module = uuid ?? (local?.uuid as string);
      const names = namesOf(local ?? { flavor: "capstan" });
      const namespace = opts.namespace ?? (local ? moduleNamespace(local) : names.defaultNamespace);
      const client = await ApiClient.fromKubeconfig();
      process.stderr.write(
        `capstan monitor: following pods of ${names.objectPrefix(module)} in ${namespace}; Ctrl-C stops\n`,
      );
      await followPods(client, namespace, module, print, abort.signal, names.uuidLabel);
      await client.close();
    });
}
