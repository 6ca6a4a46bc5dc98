import { spawn } from "node:child_process";
import type { ApiClient } from "../../../src/k8s/api-client.ts";

/** What `kubectl` printed and how it exited. */
export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * What a compat module's e2e test gets: the control plane the module runs against under
 * `capstan dev`, kubectl as a Pepr module's e2e tests use it, and the module process's log.
 */
export interface CompatContext {
  /** Path of the kubeconfig of the control plane (cluster-admin). */
  readonly kubeconfig: string;
  /** A cluster-admin client on that control plane. */
  readonly client: ApiClient;
  /** The module's folder name under test/compat/modules. */
  readonly name: string;
  /** The module's `pepr.uuid` from its package.json. */
  readonly uuid: string;
  /** `kubectl <args>` with the kubeconfig; resolves with stdout, rejects (with stderr) on a non-zero exit. */
  kubectl(...args: string[]): Promise<string>;
  /** `kubectl <args>` with `input` on stdin; resolves with exit code, stdout and stderr whatever the exit code. */
  kubectlRun(args: readonly string[], input?: string): Promise<KubectlResult>;
  /** `kubectl apply -f -` of `yaml`; rejects (with stderr) when kubectl fails, e.g. a denied admission. */
  apply(yaml: string): Promise<void>;
  /** Log lines the module process (and `capstan dev`) printed so far, oldest first. */
  moduleLogs(): string[];
  /** The module log lines so far that are JSON objects (the runtime's and `Log`'s lines), parsed. */
  moduleLogRecords(): Record<string, unknown>[];
  /** Retries `fn` every 250 ms until it returns something other than undefined; fails naming `what`. Default 30 s. */
  waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  /** Waits for a module log line matching `pattern` (lines printed before the call count); returns the line. Default 30 s. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits `ms` milliseconds (to show that something does not happen). */
  sleep(ms: number): Promise<void>;
}

/** A module's e2e.ts default export. */
export interface CompatTest {
  /** One line: what the module shows, as its `it` in the suite reads. */
  readonly description: string;
  /** Runs before the module starts: objects or PeprStore data that exist before it (moduleLogs() is empty). */
  setup?(t: CompatContext): Promise<void>;
  /** The test proper, once the module serves under `capstan dev`. */
  run(t: CompatContext): Promise<void>;
}

export interface ContextOptions {
  readonly kubeconfig: string;
  readonly client: ApiClient;
  readonly name: string;
  readonly uuid: string;
  readonly logs: () => string[];
}

export function compatContext(options: ContextOptions): CompatContext {
  const kubectlRun = (args: readonly string[], input?: string): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = spawn("kubectl", args, {
        env: { ...process.env, KUBECONFIG: options.kubeconfig },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? "");
    });
  const kubectl = async (...args: string[]): Promise<string> => {
    const result = await kubectlRun(args);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(" ")} failed (${result.code}): ${result.stderr.trim()}`);
    return result.stdout;
  };
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = await fn();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const last = lastError instanceof Error ? `: ${lastError.message}` : lastError ? `: ${String(lastError)}` : "";
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last}`);
  };
  const records = (): Record<string, unknown>[] =>
    options.logs().flatMap((line) => {
      if (!line.startsWith("{")) return [];
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed && typeof parsed === "object" ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  return {
    kubeconfig: options.kubeconfig,
    client: options.client,
    name: options.name,
    uuid: options.uuid,
    kubectl,
    kubectlRun,
    async apply(yaml) {
      const result = await kubectlRun(["apply", "-f", "-"], yaml);
      if (result.code !== 0) throw new Error(`kubectl apply failed (${result.code}): ${result.stderr.trim()}`);
    },
    moduleLogs: () => options.logs(),
    moduleLogRecords: records,
    waitFor,
    waitForLog: (pattern, timeoutMs = 30_000) =>
      waitFor(
        `a module log line matching ${pattern}`,
        async () => options.logs().find((line) => pattern.test(line)),
        timeoutMs,
      ),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
