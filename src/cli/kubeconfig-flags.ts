import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { type Command, Option } from "commander";
import { ApiClient, type ApiClientOptions, ApiError } from "../k8s/index.ts";

/** `--kubeconfig` and `--context`, as every command that talks to a cluster takes them. */
export interface KubeconfigFlags {
  kubeconfig?: string;
  context?: string;
}

/** `--kubeconfig <file>`, for `command.addOption(…)`. */
export function kubeconfigOption(): Option {
  return new Option("--kubeconfig <file>", "kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)");
}

/** `--context <name>`, for `command.addOption(…)`. */
export function contextOption(): Option {
  return new Option("--context <name>", "kubeconfig context (default: its current-context)");
}

/** Adds `--kubeconfig <file>` and `--context <name>` to a command. */
export function withKubeconfigFlags(command: Command): Command {
  return command.addOption(kubeconfigOption()).addOption(contextOption());
}

const LOCAL_CLUSTER = "`capstan cluster up` starts a local one";

/**
 * The kubeconfig the flags and the environment name, checked: a file that does not exist is named
 * with where it came from and what to do. Returns the files (as $KUBECONFIG lists them) or
 * undefined inside a pod without a kubeconfig (the service account is used).
 */
export function kubeconfigFiles(flags: KubeconfigFlags, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig))
      throw new Error(
        `kubeconfig ${flags.kubeconfig} (from --kubeconfig) does not exist: pass an existing file, or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config`,
      );
    return [flags.kubeconfig];
  }
  const listed = env.KUBECONFIG?.split(delimiter).filter(Boolean);
  if (listed && listed.length > 0) {
    const existing = listed.filter((file) => existsSync(file));
    if (existing.length === 0)
      throw new Error(
        `kubeconfig ${listed.join(delimiter)} (from $KUBECONFIG) does not exist: point KUBECONFIG at an existing file or pass --kubeconfig <file> (${LOCAL_CLUSTER}; \`capstan cluster env\` prints its KUBECONFIG)`,
      );
    return existing;
  }
  const home = join(homedir(), ".kube", "config");
  if (existsSync(home)) return [home];
  if (env.KUBERNETES_SERVICE_HOST) return undefined;
  throw new Error(
    `no kubeconfig: $KUBECONFIG is not set and ${home} does not exist: pass --kubeconfig <file> or set KUBECONFIG (${LOCAL_CLUSTER})`,
  );
}

/** A client for the cluster the flags name (see `kubeconfigFiles` for the messages). */
export async function connectWithFlags(
  flags: KubeconfigFlags,
  options: ApiClientOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiClient> {
  const files = kubeconfigFiles(flags, env);
  return ApiClient.fromKubeconfig({
    ...options,
    ...(files ? { kubeconfig: files.length === 1 ? files[0] : undefined } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
}

/**
 * `$KUBECONFIG` for a child process that must reach the same cluster: the files, preceded by one
 * that only sets the current context when `--context` was given (the first current-context wins
 * when kubeconfig files are merged, so the child needs no flag of its own).
 */
export function kubeconfigEnv(flags: KubeconfigFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const files = kubeconfigFiles(flags, env);
  if (!files) return undefined;
  if (!flags.context) return files.join(delimiter);
  const dir = mkdtempSync(join(tmpdir(), "capstan-context-"));
  const selector = join(dir, "context.yaml");
  writeFileSync(selector, `current-context: ${JSON.stringify(flags.context)}\n`);
  return [selector, ...files].join(delimiter);
}

/**
 * Fails within `timeoutMs` with one clear line when the API server does not answer: which server,
 * why, and what to do.
 */
export async function checkReachable(client: ApiClient, timeoutMs = 5_000): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await client.request({ path: "/version", signal });
  } catch (error) {
    // An answer, even a refusal, means the server is there; the command's own requests report it.
    if (error instanceof ApiError) return;
    const reason = signal.aborted ? `no answer in ${timeoutMs / 1000} s` : causeOf(error);
    throw new Error(
      `cannot reach the API server at ${client.connection.server} (${reason}): is the cluster running? (${LOCAL_CLUSTER}; --kubeconfig and --context pick another)`,
    );
  }
}

/** The innermost message of an error chain (`ECONNREFUSED …` rather than "fetch failed"). */
export function causeOf(error: unknown): string {
  let current = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth++) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
    else if (typeof current === "string") message = current;
  }
  return message;
}
