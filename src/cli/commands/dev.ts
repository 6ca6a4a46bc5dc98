import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { RECORD_ENV } from "../../admission/index.ts";
import type { RbacMode } from "../../build/index.ts";
import { defaultEntry } from "../../build/index.ts";
import { startDevSession } from "../../runtime/dev-session.ts";
import { sessionLogFile } from "../../runtime/index.ts";
import { startControlPlane, stopControlPlane } from "../../testing/control-plane/control-plane.ts";
import { devOutput, type LogFormat, logFormats } from "../dev-output.ts";
import {
  checkReachable,
  connectWithFlags,
  contextOption,
  type KubeconfigFlags,
  kubeconfigEnv,
  kubeconfigOption,
} from "../kubeconfig-flags.ts";
import { recordFromLog } from "../monitor/record.ts";

interface DevOptions extends KubeconfigFlags {
  record?: string;
  entryPoint?: string;
  host: string;
  port?: string;
  namespace?: string;
  local?: boolean;
  watch: boolean;
  typeCheck: boolean;
  impersonate: boolean;
  rbacMode?: string;
  logFormat: LogFormat;
}

export function devCommand(): Command {
  return new Command("dev")
    .description(
      "run the module locally (admission and controller in one process) against a cluster; reloads on change",
    )
    .option("-e, --entry-point <file>", "module entry (default: capstan.ts, else pepr.ts)")
    .option("--host <address>", "address the API server calls the webhooks on", "127.0.0.1")
    .option("-p, --port <port>", "webhook port the API server calls (default: a free port)")
    .option(
      "-n, --namespace <name>",
      "namespace for the Store (default: the module's namespace: capstan-system, or pepr-system for a `pepr` block)",
    )
    .option("--local", "start the embedded local control plane for this session (no cluster needed)")
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .option(
      "--record <file>",
      "write the admission requests the module answers, and its answers, as a *.scenarios.yaml `capstan test` replays (sensitive values redacted)",
    )
    .option("--no-watch", "do not reload when files change")
    .option("--no-type-check", "do not type-check a build before it takes over")
    .option(
      "--no-impersonate",
      "run the module's API calls with your kubeconfig's rights, not as its generated ServiceAccount (RBAC gaps then show only once deployed)",
    )
    .option(
      "-M, --rbac-mode <mode>",
      "the rules the module runs under, as capstan build generates them: scoped or admin (default: package.json rbacMode, else scoped)",
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "pretty: a line per event; json: JSON lines; auto: pretty on a terminal, json when piped",
      )
        .choices([...logFormats])
        .default("auto"),
    )
    .action(async (opts: DevOptions) => {
      const moduleDir = process.cwd();
      const output = devOutput({ format: opts.logFormat });
      const log = (line: string, level?: "info" | "warn" | "error") => output.session(line, level);
      let kubeconfig = opts.kubeconfig;
      let localDir: string | undefined;
      if (opts.local) {
        localDir = join(moduleDir, ".capstan", "cluster");
        log("capstan dev: starting the local control plane (the first run builds it; that takes a while)");
        const state = await startControlPlane({ stateDir: localDir, onProgress: log, ownProcessGroup: true });
        kubeconfig = state.kubeconfig;
        log(
          `capstan dev: local control plane ready; kubeconfig ${kubeconfig} (for kubectl: export KUBECONFIG=${kubeconfig})`,
        );
      }
      const flags: KubeconfigFlags = { kubeconfig, ...(opts.context && !opts.local ? { context: opts.context } : {}) };
      const orLocal = (error: unknown) =>
        new Error(`${error instanceof Error ? error.message : String(error)}; or run \`capstan dev --local\``);
      const connect = () => connectWithFlags(flags);
      const client = await connect().catch((error: unknown) => {
        throw orLocal(error);
      });
      await checkReachable(client).catch(async (error: unknown) => {
        await client.close();
        throw orLocal(error);
      });
      // The module process logs each request it answers (redacted) for the recorder; only when asked.
      if (opts.record) process.env[RECORD_ENV] = "true";
      const session = await startDevSession({
        client,
        connect,
        kubeconfig: kubeconfigEnv(flags),
        moduleDir,
        entry: opts.entryPoint ?? defaultEntry(moduleDir),
        host: opts.host,
        port: parsePort(opts.port),
        namespace: opts.namespace,
        watch: opts.watch,
        typeCheck: opts.typeCheck,
        impersonate: opts.impersonate,
        rbacMode: parseRbacMode(opts.rbacMode),
        log,
        moduleLog: output.module,
        moduleStderr: output.moduleStderr,
      }).catch(async (error: unknown) => {
        await client.close();
        if (localDir) await stopControlPlane(localDir);
        throw error;
      });
      log(`capstan dev: webhooks on https://${opts.host}:${session.port}; Ctrl-C stops and removes them`);
      const recording = opts.record
        ? recordFromLog(sessionLogFile(moduleDir), resolve(opts.record), (line) => log(`capstan dev: ${line}`))
        : undefined;
      let signals = 0;
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => {
          // A second Ctrl-C does not wait; the module process then removes the webhooks itself.
          if (++signals > 1) process.exit(130);
          void session.stop();
        });
      }
      process.exitCode = await session.done;
      await recording?.stop();
      if (localDir) await stopControlPlane(localDir);
    });
}

function parseRbacMode(text: string | undefined): RbacMode | undefined {
  if (text === undefined || text === "scoped" || text === "admin") return text;
  throw new Error(`--rbac-mode ${text} is not a mode: use scoped or admin`);
}

function parsePort(text: string | undefined): number {
  const port = Number(text ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port ${text} is not a port number (0-65535; leave it out for a free port)`);
  }
  return port;
}
