import { homedir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import {
  isControlPlaneReady,
  readControlPlaneState,
  startControlPlane,
  stopControlPlane,
} from "../../testing/control-plane/control-plane.ts";

export function defaultClusterDir(): string {
  const base = process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state");
  return process.env.CAPSTAN_CLUSTER_DIR ?? join(base, "capstan", "cluster");
}

export function clusterCommand(): Command {
  const cluster = new Command("cluster").description(
    "run a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) on 127.0.0.1",
  );
  const dirOption = [
    "--dir <path>",
    "state directory (default: $CAPSTAN_CLUSTER_DIR or ~/.local/state/capstan/cluster)",
  ] as const;

  cluster
    .command("up")
    .description(
      "build (first time only) and start the local control plane in the background; prints the kubeconfig path",
    )
    .option(...dirOption)
    .option("--no-controller-manager", "do not run kube-controller-manager")
    .action(async (opts: { dir?: string; controllerManager: boolean }) => {
      const dir = opts.dir ?? defaultClusterDir();
      const existing = readControlPlaneState(dir);
      if (existing && (await isControlPlaneReady(existing))) {
        process.stderr.write(`capstan: the local cluster is already running (${existing.server})\n`);
        process.stdout.write(`${existing.kubeconfig}\n`);
        return;
      }
      if (existing) await stopControlPlane(dir);
      const started = Date.now();
      const state = await startControlPlane({
        stateDir: dir,
        detached: true,
        controllerManager: opts.controllerManager,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      process.stderr.write(
        `capstan: local cluster ready at ${state.server} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      process.stderr.write(`capstan: logs in ${state.logDir}; stop it with \`capstan cluster down\`\n`);
      process.stdout.write(`${state.kubeconfig}\n`);
    });

  cluster
    .command("env")
    .description("print `export KUBECONFIG=...` for the running local cluster")
    .option(...dirOption)
    .action((opts: { dir?: string }) => {
      const state = readControlPlaneState(opts.dir ?? defaultClusterDir());
      if (!state) throw new Error("no local cluster is running: start one with `capstan cluster up`");
      process.stdout.write(`export KUBECONFIG=${state.kubeconfig}\n`);
    });

  cluster
    .command("status")
    .description("exit 0 when the local cluster is running and ready, 1 otherwise")
    .option(...dirOption)
    .action(async (opts: { dir?: string }) => {
      const state = readControlPlaneState(opts.dir ?? defaultClusterDir());
      if (state && (await isControlPlaneReady(state))) {
        process.stdout.write(`ready: ${state.server} (kubeconfig ${state.kubeconfig})\n`);
        return;
      }
      process.stdout.write(state ? `not ready: ${state.server}; logs in ${state.logDir}\n` : "not running\n");
      process.exitCode = 1;
    });

  cluster
    .command("down")
    .description("stop every process the local cluster started and remove its state")
    .option(...dirOption)
    .option("--keep", "keep the state directory (logs, certificates)")
    .action(async (opts: { dir?: string; keep?: boolean }) => {
      const dir = opts.dir ?? defaultClusterDir();
      await stopControlPlane(dir, { removeState: !opts.keep });
      process.stderr.write("capstan: local cluster stopped\n");
    });
  return cluster;
}
