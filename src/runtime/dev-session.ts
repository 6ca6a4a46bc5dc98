import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, watch, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { deleteWebhookConfigurations } from "../admission/registration.ts";
import { bundleModule } from "../build/bundle.ts";
import { moduleConfigOf } from "../build/module-package.ts";
import { ROLE_FLAG, RUNTIME_NODE_FLAGS } from "../build/runtime-contract.ts";
import type { ApiClient } from "../k8s/api-client.ts";
import { ConflictError } from "../k8s/errors.ts";
import { installStoreCrd } from "../store/index.ts";
import { DevEnv } from "./dev-contract.ts";
import { localCredentials } from "./webhook-credentials.ts";

/** Where `capstan dev` appends the module's log (one JSON line each), for `capstan monitor --dev`. */
export function devLogFile(moduleDir: string): string {
  return join(resolve(moduleDir), ".capstan", "dev", "log.jsonl");
}

export interface DevSessionOptions {
  readonly client: ApiClient;
  readonly kubeconfig: string | undefined;
  readonly moduleDir: string;
  readonly entry: string;
  readonly host: string;
  readonly port: number;
  /** Where the Store lives; created if missing. */
  readonly namespace: string;
  readonly watch: boolean;
  readonly log: (line: string) => void;
}

export interface DevSession {
  /** Settles when the session stops (Ctrl-C, `stop()`). */
  readonly done: Promise<void>;
  /** Rebuilds and restarts the module process now. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `capstan dev`: bundles the module, runs it in a child process (admission and controller in one)
 * whose webhooks point at 127.0.0.1, restarts that child when a source file changes (same port,
 * same certificate, so the webhook configuration never changes), and removes the webhook
 * configuration when it stops, also after Ctrl-C or a crash of the module code.
 */
export async function startDevSession(options: DevSessionOptions): Promise<DevSession> {
  const moduleDir = resolve(options.moduleDir);
  const config = moduleConfigOf(moduleDir);
  const configurationName = `capstan-${config.uuid}`;
  const work = mkdtempSync(join(tmpdir(), "capstan-dev-"));
  const credentials = (await localCredentials([options.host])).current();
  const files = { ca: join(work, "ca.crt"), cert: join(work, "tls.crt"), key: join(work, "tls.key") };
  writeFileSync(files.ca, credentials.caCert);
  writeFileSync(files.cert, credentials.tlsCert);
  writeFileSync(files.key, credentials.tlsKey, { mode: 0o600 });
  const apiPath = randomBytes(32).toString("hex");

  const logFile = devLogFile(moduleDir);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "w" });

  await ensureNamespace(options.client, options.namespace);
  await installStoreCrd(options.client);

  let child: ChildProcess | undefined;
  let stopping = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });

  const startChild = async () => {
    // Inside the module folder, so the bundle resolves the module's own `capstan` (one shared instance).
    const bundle = await bundleModule({
      moduleDir,
      entry: options.entry,
      outDir: join(".capstan", "dev"),
      minify: false,
    });
    const runtimeEntry = join(dirname(createRequire(bundle.outFile).resolve("capstan")), "runtime", "main.js");
    const proc = spawn(process.execPath, [...RUNTIME_NODE_FLAGS, runtimeEntry, ROLE_FLAG, "dev"], {
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}),
        [DevEnv.moduleFile]: bundle.outFile,
        [DevEnv.caFile]: files.ca,
        [DevEnv.certFile]: files.cert,
        [DevEnv.keyFile]: files.key,
        [DevEnv.apiPath]: apiPath,
        [DevEnv.host]: options.host,
        [DevEnv.port]: String(options.port),
        [DevEnv.namespace]: options.namespace,
      },
    });
    proc.stdout?.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      log.write(chunk);
    });
    child = proc;
    proc.once("exit", (code, signal) => {
      if (child !== proc) return;
      child = undefined;
      if (!stopping) {
        options.log(`capstan dev: the module process exited (${code ?? signal}); fix the code and save to restart it`);
      }
    });
  };

  const stopChild = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  let reloading: Promise<void> = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      await stopChild();
      try {
        await startChild();
        options.log("capstan dev: module reloaded");
      } catch (error) {
        options.log(`capstan dev: build failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return reloading;
  };

  const watcher = options.watch ? watchSources(moduleDir, () => void reload()) : undefined;

  const stop = async () => {
    if (stopping) return done;
    stopping = true;
    watcher?.close();
    await reloading.catch(() => {});
    await stopChild();
    await deleteWebhookConfigurations(options.client, configurationName).catch((error: unknown) =>
      options.log(`capstan dev: could not remove webhook configuration ${configurationName}: ${String(error)}`),
    );
    log.end();
    options.log(`capstan dev: stopped; webhook configuration ${configurationName} removed`);
    resolveDone();
    return done;
  };

  await startChild();
  return { done, reload, stop };
}

function watchSources(dir: string, changed: () => void) {
  let timer: NodeJS.Timeout | undefined;
  return watch(dir, { recursive: true }, (_event, file) => {
    if (!file || /(^|\/)(node_modules|dist|\.git|\.capstan)(\/|$)/.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(changed, 200);
  });
}

async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  try {
    await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name } } });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}
