import { join } from "node:path";
import { Command } from "commander";
import { defaultEntry } from "../../build/module-package.ts";
import { ApiClient } from "../../k8s/api-client.ts";
import { startDevSession } from "../../runtime/dev-session.ts";
import { startControlPlane, stopControlPlane } from "../../testing/control-plane/control-plane.ts";

interface DevOptions {
  entryPoint?: string;
  host: string;
  port: string;
  namespace: string;
  local?: boolean;
  watch: boolean;
}

export function devCommand(): Command {
  return new Command("dev")
    .description(
      "run the module locally (admission and controller in one process) against a cluster; reloads on change",
    )
    .option("-e, --entry-point <file>", "module entry (default: capstan.ts, else pepr.ts)")
    .option("--host <address>", "address the API server calls the webhooks on", "127.0.0.1")
    .option("-p, --port <port>", "webhook port", "3443")
    .option("-n, --namespace <name>", "namespace for the Store", "capstan-system")
    .option("--local", "start the embedded local control plane for this session (no cluster needed)")
    .option("--no-watch", "do not reload when files change")
    .action(async (opts: DevOptions) => {
      const moduleDir = process.cwd();
      const log = (line: string) => process.stderr.write(`${line}\n`);
      let kubeconfig = process.env.KUBECONFIG;
      let localDir: string | undefined;
      if (opts.local) {
        localDir = join(moduleDir, ".capstan", "cluster");
        log("capstan dev: starting the local control plane (the first run builds it; that takes a while)");
        const state = await startControlPlane({ stateDir: localDir, onProgress: log });
        kubeconfig = state.kubeconfig;
      }
      const client = await ApiClient.fromKubeconfig({ kubeconfig }).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}; or run \`capstan dev --local\``);
      });
      await client.request({ path: "/version" }).catch((error: unknown) => {
        throw new Error(
          `cannot reach the cluster (${error instanceof Error ? error.message : String(error)}): start one with \`capstan cluster up\` or run \`capstan dev --local\``,
        );
      });
      const session = await startDevSession({
        client,
        kubeconfig,
        moduleDir,
        entry: opts.entryPoint ?? defaultEntry(moduleDir),
        host: opts.host,
        port: Number(opts.port),
        namespace: opts.namespace,
        watch: opts.watch,
        log,
      });
      log(`capstan dev: serving webhooks on https://${opts.host}:${opts.port}; Ctrl-C stops and removes them`);
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void session.stop());
      await session.done;
      await client.close();
      if (localDir) await stopControlPlane(localDir);
    });
}
