import { fork } from "node:child_process";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import { type PreviewFormat, type PreviewProgress, previewFormats } from "../../audit/index.ts";
import { bundleModule, defaultEntry } from "../../build/index.ts";
import {
  checkReachable,
  connectWithFlags,
  contextOption,
  type KubeconfigFlags,
  kubeconfigEnv,
  kubeconfigOption,
} from "../kubeconfig-flags.ts";

interface PreviewFlags extends KubeconfigFlags {
  entryPoint?: string;
  output: PreviewFormat;
  namespace?: string[];
  pageSize?: number;
  progress: boolean;
}

/** Objects from which on a progress bar is drawn (on a terminal). */
const PROGRESS_FROM = 1000;

function pageSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError(`"${value}" is not a page size: give a whole number from 1 to 10000 (default 500)`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  if (!value) throw new InvalidArgumentError("an empty namespace name: give --namespace <name>");
  return [...previous, value];
}

/** A one-line bar, redrawn in place (on stderr), once there are PROGRESS_FROM objects or more. */
export function progressBar(write: (text: string) => void = (text) => void process.stderr.write(text)): {
  update(progress: PreviewProgress): void;
  clear(): void;
} {
  let drawn = false;
  return {
    update({ done, total }) {
      if (total < PROGRESS_FROM) return;
      const width = 30;
      const filled = Math.round((done / total) * width);
      write(`\rpreview [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} objects`);
      drawn = true;
    },
    clear() {
      if (drawn) write("\r\u001b[2K");
    },
  };
}

export function previewCommand(): Command {
  return new Command("preview")
    .description(
      "run the module's Mutate and Validate bindings over the cluster's existing objects, locally: what would be denied, warned about or mutated (nothing is registered or written; exit status 3 when anything would be denied)",
    )
    .option("-e, --entry-point <file>", "module entry (default: capstan.ts, else pepr.ts)")
    .addOption(new Option("-o, --output <format>", "table, json or markdown").choices(previewFormats).default("table"))
    .option("-n, --namespace <name>", "only this namespace (repeat for more; default: all)", collect)
    .option("--page-size <n>", "objects per LIST request (default 500)", pageSize)
    .option("--no-progress", "no progress bar, even on a terminal")
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .action(async (flags: PreviewFlags) => {
      process.exitCode = await preview(process.cwd(), flags);
    });
}

/** Bundles the module, checks the cluster answers, then runs the preview in the module's own capstan. */
async function preview(cwd: string, flags: PreviewFlags): Promise<number> {
  const moduleDir = resolve(cwd);
  const client = await connectWithFlags(flags);
  try {
    await checkReachable(client);
  } finally {
    await client.close();
  }
  const bundle = await bundleModule({
    moduleDir,
    entry: flags.entryPoint ?? defaultEntry(moduleDir),
    outDir: join(".capstan", "preview"),
    minify: false,
  });
  const here = import.meta.url;
  const child = fileURLToPath(new URL(`../../testing/preview-child${extname(fileURLToPath(here))}`, here));
  const options = {
    format: flags.output,
    ...(flags.namespace ? { namespaces: flags.namespace } : {}),
    ...(flags.pageSize ? { pageSize: flags.pageSize } : {}),
  };
  const kubeconfig = kubeconfigEnv(flags);
  const bar = flags.progress && process.stderr.isTTY ? progressBar() : undefined;
  return new Promise((resolveCode, reject) => {
    // The module's logs (its stdout) go to stderr; the report comes over IPC and goes to stdout.
    const process_ = fork(child, [bundle.outFile, JSON.stringify(options)], {
      cwd: moduleDir,
      env: {
        ...process.env,
        ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}),
        LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      },
      stdio: ["ignore", 2, 2, "ipc"],
      execArgv: ["--enable-source-maps"],
    });
    process_.on("message", (message: { report?: string; progress?: PreviewProgress }) => {
      if (message.progress) bar?.update(message.progress);
      if (typeof message.report === "string") {
        bar?.clear();
        process.stdout.write(message.report);
      }
    });
    process_.once("error", reject);
    process_.once("close", (code, signal) => {
      bar?.clear();
      resolveCode(code ?? (signal ? 2 : 0));
    });
  });
}
