import { Command } from "commander";
import { moduleConfigOf } from "../../build/module-package.ts";
import { ApiClient } from "../../k8s/api-client.ts";
import { devLogFile } from "../../runtime/dev-session.ts";
import { formatMonitorLine } from "../monitor/format.ts";
import { followFile, followPods } from "../monitor/sources.ts";

interface MonitorOptions {
  namespace: string;
  dev?: boolean;
}

export function monitorCommand(): Command {
  return new Command("monitor")
    .description("a live stream of admission decisions and controller actions, from the deployed pods or `capstan dev`")
    .argument("[uuid]", "the module (default: the uuid in ./package.json)")
    .option("-n, --namespace <name>", "namespace the module is deployed in", "capstan-system")
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
      const module = uuid ?? moduleConfigOf(process.cwd()).uuid;
      const client = await ApiClient.fromKubeconfig();
      process.stderr.write(`capstan monitor: following pods of capstan-${module} in ${opts.namespace}; Ctrl-C stops\n`);
      await followPods(client, opts.namespace, module, print, abort.signal);
      await client.close();
    });
}
