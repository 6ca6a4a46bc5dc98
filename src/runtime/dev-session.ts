import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { deleteCelPolicies, deleteWebhookConfigurations, isAdmissionRecordLine } from "../admission/index.ts";
import { bundleModule } from "../build/bundle.ts";
import { moduleConfigOf } from "../build/module-package.ts";
import type { RbacMode } from "../build/rbac.ts";
import type { ApiClient } from "../k8s/index.ts";
import { ConflictError, ConnectionError } from "../k8s/index.ts";
import { moduleNamespace, namesOf } from "../model/index.ts";
import { installStoreCrd } from "../store/index.ts";
import { type DevChild, describeExit, startDevChild } from "./dev-child.ts";
import { DevEnv, isDevReportMessage } from "./dev-contract.ts";
import {
  acquireDevLease,
  type DevSessionIdentity,
  devLeaseRef,
  devSessionIdentity,
  formatLeaseRef,
  holderOf,
  isDevLeaseFree,
  releaseDevLease,
  renewDevLease,
} from "./dev-lease.ts";
import { liveDevLogFile, prepareSessionFiles, tailLines } from "./dev-logs.ts";
import { startDevProxy } from "./dev-proxy.ts";
import { assertCanImpersonate, devRbacRefs, removeDevRbac } from "./dev-rbac.ts";
import { type SourceWatcher, watchBundleInputs } from "./dev-sources.ts";
import { startTypeChecker } from "./dev-typecheck.ts";
import { DevWebhooks } from "./dev-webhooks.ts";
import { localCredentials } from "./webhook-credentials.ts";

/** The log of the live `capstan dev` session in `moduleDir`, for `capstan monitor --dev`. */
export function devLogFile(moduleDir: string): string {
  return liveDevLogFile(moduleDir);
}

export interface DevSessionOptions {
  readonly client: ApiClient;
  /** A fresh client from the kubeconfig, read again (after `cluster up` the server may have a new port). */
  readonly connect: () => Promise<ApiClient>;
  readonly kubeconfig: string | undefined;
  readonly moduleDir: string;
  readonly entry: string;
  readonly host: string;
  /** The public webhook port; 0 picks a free one. */
  readonly port: number;
  /** Where the Store lives; created if missing. Default: the module's namespace. */
  readonly namespace?: string;
  readonly watch: boolean;
  /** Type-check the module's own files before a build takes over. Default true. */
  readonly typeCheck?: boolean;
  /** Run the module's API calls as its generated ServiceAccount (impersonation). Default true. */
  readonly impersonate?: boolean;
  /** The rules that ServiceAccount gets. Default: package.json `rbacMode`, else scoped. */
  readonly rbacMode?: RbacMode;
  /** The session's own lines; `level` is "info" unless said (warnings: the module not serving, a lost API server). */
  readonly log: (line: string, level?: "info" | "warn" | "error") => void;
  /** Each line of the module processes' log (JSON lines). Default: written to stdout as it is. */
  readonly moduleLog?: (line: string) => void;
  /** Each line a module process writes to stderr. Default: written to stderr as it is. */
  readonly moduleStderr?: (line: string) => void;
  /** How often the API server is probed. Default 1 s. */
  readonly probeIntervalMs?: number;
}

export interface DevSession {
  /** The public webhook port the API server calls. */
  readonly port: number;
  /** Settles with the exit code when the session stops (Ctrl-C, `stop()`, lost to another session). */
  readonly done: Promise<number>;
  /** Rebuilds and hands over to a new module process now. */
  reload(): Promise<void>;
  stop(): Promise<number>;
}

const PROBE_TIMEOUT_MS = 2_000;
/** Consecutive failed probes before the API server counts as lost. */
const LOST_AFTER = 2;
/** Renew the session Lease every this many probes. */
const RENEW_EVERY = 5;
const REMOVE_TIMEOUT_MS = 5_000;

/**
 * `capstan dev`. The session owns a public webhook port, the webhook configurations and a Lease
 * naming it (one session per module and cluster). Each build runs in its own module process on a
 * loopback port behind the public one; a new process takes over only once it serves, so the last
 * good module keeps serving through build errors and code that throws at load. While no module
 * serves, the webhooks fail open. The session probes the API server, says once when it is lost,
 * and re-registers everything from a re-read kubeconfig when it is back.
 */
export async function startDevSession(options: DevSessionOptions): Promise<DevSession> {
  const moduleDir = resolve(options.moduleDir);
  const config = moduleConfigOf(moduleDir);
  const say = (line: string, level?: "warn" | "error") => options.log(`capstan dev: ${line}`, level);
  const identity: DevSessionIdentity = devSessionIdentity(moduleDir);
  const prefix = namesOf(config).objectPrefix(config.uuid);
  const namespace = options.namespace ?? moduleNamespace(config);
  const leaseRef = devLeaseRef(prefix);
  const holder = holderOf(identity);
  let client = options.client;
  const impersonate = options.impersonate !== false;
  const rbacRefs = devRbacRefs(config, namespace);

  if (impersonate) await assertCanImpersonate(client, namespace, rbacRefs.serviceAccount);
  await acquireDevLease(client, leaseRef, identity);
  const webhooks = new DevWebhooks(prefix);
  const proxy = await startDevProxy(options.host, options.port).catch(async (error: unknown) => {
    await releaseDevLease(client, leaseRef, holder).catch(() => {});
    throw error;
  });

  const prepareCluster = async (c: ApiClient) => {
    await ensureNamespace(c, namespace);
    await installStoreCrd(c);
  };
  try {
    await prepareCluster(client);
  } catch (error) {
    await proxy.close();
    await releaseDevLease(client, leaseRef, holder).catch(() => {});
    throw error;
  }

  const files = prepareSessionFiles(moduleDir, identity.startedAt);
  const children = new Map<number, DevChild>();
  const moduleLog = options.moduleLog ?? ((line: string) => process.stdout.write(`${line}\n`));
  const logTail = tailLines(files.logFile, (line) => {
    // Admission records (`capstan dev --record`) are for the recorder reading the log file, not the terminal.
    if (isAdmissionRecordLine(line)) return;
    moduleLog(line);
    const pid = /^\{.*?"pid":(\d+)/.exec(line)?.[1];
    if (pid) children.get(Number(pid))?.noteLogLine(line);
  });
  let processes = 0;
  const work = mkdtempSync(join(tmpdir(), "capstan-dev-"));
  const credentials = (await localCredentials([options.host])).current();
  const pem = { ca: join(work, "ca.crt"), cert: join(work, "tls.crt"), key: join(work, "tls.key") };
  writeFileSync(pem.ca, credentials.caCert);
  writeFileSync(pem.cert, credentials.tlsCert);
  writeFileSync(pem.key, credentials.tlsKey, { mode: 0o600 });
  const apiPath = randomBytes(32).toString("hex");

  let serving: DevChild | undefined;
  let apiUp = true;
  let leaseLost: string | undefined;
  let stopping = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });

  const syncWebhooks = async (force = false) => {
    if (!apiUp) return;
    await webhooks.sync(client, force).catch((error: unknown) => {
      say(`could not write webhook configuration ${webhooks.name}: ${messageOf(error)}`, "warn");
    });
  };

  const childEnv = (outFile: string): NodeJS.ProcessEnv => ({
    ...process.env,
    // package.json `capstan.env` / `pepr.env`: as the built Deployments set it.
    ...config.env,
    ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}),
    [DevEnv.moduleFile]: outFile,
    [DevEnv.caFile]: pem.ca,
    [DevEnv.certFile]: pem.cert,
    [DevEnv.keyFile]: pem.key,
    [DevEnv.apiPath]: apiPath,
    [DevEnv.host]: options.host,
    [DevEnv.port]: String(proxy.port),
    [DevEnv.namespace]: namespace,
    [DevEnv.configurationName]: webhooks.name,
    [DevEnv.sessionLease]: formatLeaseRef(leaseRef),
    [DevEnv.sessionHolder]: holder,
    [DevEnv.impersonate]: impersonate ? "on" : "off",
    [DevEnv.rbacMode]: options.rbacMode ?? config.rbacMode ?? "scoped",
  });
  // RBAC gaps the module processes found: each said once per session, whichever process found it.
  const reported = new Set<string>();
  const onChildMessage = (message: unknown) => {
    if (!isDevReportMessage(message) || reported.has(message.line)) return;
    reported.add(message.line);
    say(message.line);
  };

  const nothingServes = (why: string) => {
    proxy.target(undefined);
    webhooks.failOpen();
    say(
      webhooks.registered
        ? `NO MODULE IS SERVING: ${why}. Webhooks of ${webhooks.name} fail open (failurePolicy Ignore) until a saved change loads`
        : `NO MODULE IS SERVING: ${why}. No webhook is registered until a saved change loads`,
      "error",
    );
    void syncWebhooks();
  };

  // Type errors keep the last good module serving, as build errors do (`--no-type-check` skips this).
  const checker = options.typeCheck === false ? undefined : startTypeChecker(moduleDir, options.entry);
  let checkerFailed = false;
  const typeCheck = async (why: string): Promise<readonly string[]> => {
    if (!checker || checkerFailed || why === "cluster") return [];
    try {
      return await checker.check();
    } catch (error) {
      checkerFailed = true;
      say(`type checking is off for this session: ${oneLine(messageOf(error))}`, "warn");
      return [];
    }
  };

  let watcher: SourceWatcher | undefined;
  const buildAndStart = async (why: string): Promise<void> => {
    const typed = typeCheck(why);
    let bundle: Awaited<ReturnType<typeof bundleModule>>;
    try {
      // Inside the module folder, so the bundle resolves the module's own `capstan` (one shared instance).
      bundle = await bundleModule({ moduleDir, entry: options.entry, outDir: files.outDir, minify: false });
    } catch (error) {
      watcher?.setInputs(undefined);
      const reason = `build failed: ${oneLine(messageOf(error)).replace(/^Bundling \S+ failed: /, "")}`;
      if (serving) say(`${reason}; the last good module keeps serving`, "warn");
      else nothingServes(reason);
      return;
    }
    watcher?.setInputs(bundle.ownSources);
    if (stopping) return;
    const runtimeEntry = join(dirname(createRequire(bundle.outFile).resolve("capstan")), "runtime", "main.js");
    const child = startDevChild({
      entry: join(dirname(runtimeEntry), "dev-main.js"),
      env: childEnv(bundle.outFile),
      logFile: files.logFile,
      stderrFile: join(files.dir, `module-${++processes}.stderr`),
      onStderr: options.moduleStderr ?? ((line) => process.stderr.write(`${line}\n`)),
      beforeExit: () => logTail.readNow(),
      onMessage: onChildMessage,
    });
    if (child.pid !== undefined) children.set(child.pid, child);
    void child.exited.then(() => {
      if (child.pid !== undefined) children.delete(child.pid);
    });
    // The new process starts while the types are checked; it takes over only if both succeed.
    const [outcome, typeErrors] = await Promise.all([
      child.ready.then(
        (message) => ({ message }),
        (error: unknown) => ({ error }),
      ),
      typed,
    ]);
    if (stopping || typeErrors.length > 0 || "error" in outcome) {
      await child.stop();
      if (stopping) return;
      const reason =
        typeErrors.length > 0
          ? `type error: ${typeErrors[0]}${typeErrors.length > 1 ? ` (and ${typeErrors.length - 1} more)` : ""}`
          : `the new build did not start: ${"error" in outcome ? oneLine(messageOf(outcome.error)) : ""}`;
      if (serving) say(`${reason}; the last good module keeps serving`, "warn");
      else nothingServes(reason);
      return;
    }
    const ready = outcome.message;
    const previous = serving;
    serving = child;
    proxy.target(ready.port);
    webhooks.serve(ready.configurations, ready.policies);
    await syncWebhooks();
    void child.exited.then((exit) => {
      if (serving !== child || stopping) return;
      serving = undefined;
      const cause = child.cause();
      nothingServes(`the module process exited (${describeExit(exit)})${cause ? `: ${oneLine(cause)}` : ""}`);
    });
    say(
      why === "start"
        ? "module serving"
        : why === "cluster"
          ? "module restarted against the cluster"
          : "module reloaded",
    );
    await previous?.stop();
  };

  let queue: Promise<void> = Promise.resolve();
  let queued = false;
  const reload = (why = "change"): Promise<void> => {
    if (queued) return queue;
    queued = true;
    queue = queue.then(async () => {
      queued = false;
      if (!stopping) await buildAndStart(why);
    });
    return queue;
  };

  // The API server: probed every second; the session Lease renewed every few probes.
  let probes = 0;
  let failures = 0;
  let probeTimer: NodeJS.Timeout | undefined;
  const probeOnce = async () => {
    if (apiUp) {
      try {
        await probe(client);
        failures = 0;
        if (++probes % RENEW_EVERY === 0) {
          const other = await renewDevLease(client, leaseRef, identity);
          if (other) {
            leaseLost = other;
            say(`another session took this module over (${other}); stopping without touching its webhooks`, "warn");
            void stop(1);
          }
        }
      } catch (error) {
        if (++failures < LOST_AFTER) return;
        apiUp = false;
        say(
          `lost the API server (${oneLine(messageOf(error))}); the webhooks come back when it does (the kubeconfig is read again)`,
          "warn",
        );
      }
      return;
    }
    let next: ApiClient | undefined;
    try {
      next = await options.connect();
      await probe(next);
    } catch {
      await next?.close().catch(() => {});
      return;
    }
    const previous = client;
    client = next;
    void previous.close().catch(() => {});
    apiUp = true;
    failures = 0;
    say(`the API server is back at ${client.connection.server}; registering the webhooks again`);
    try {
      await acquireDevLease(client, leaseRef, identity);
    } catch (error) {
      leaseLost = messageOf(error);
      say(`${leaseLost}; stopping without touching its webhooks`, "warn");
      void stop(1);
      return;
    }
    webhooks.invalidate();
    await syncWebhooks(true);
    try {
      await prepareCluster(client);
    } catch (error) {
      // Lost again meanwhile: the next recovery prepares it; the loss was said already.
      if (!(error instanceof ConnectionError)) say(`could not prepare the cluster: ${messageOf(error)}`, "warn");
      return;
    }
    // The module process holds a connection to the old server: hand over to one with the new one.
    void reload("cluster");
  };
  const scheduleProbe = () => {
    probeTimer = setTimeout(() => {
      void probeOnce().finally(() => {
        if (!stopping) scheduleProbe();
      });
    }, options.probeIntervalMs ?? 1_000);
  };
  scheduleProbe();

  const stop = async (code = 0): Promise<number> => {
    if (stopping) return done;
    stopping = true;
    clearTimeout(probeTimer);
    watcher?.close();
    // Webhooks first, so no request meets a stopped process behind a failurePolicy: Fail webhook.
    let removal: string;
    if (leaseLost) {
      removal = `left webhook configuration ${webhooks.name} to the session that holds the module`;
    } else {
      try {
        await withTimeout(
          (async () => {
            if (!(await isDevLeaseFree(client, leaseRef, holder))) throw new Error("another session holds the module");
            await deleteWebhookConfigurations(client, webhooks.name);
            await deleteCelPolicies(client, webhooks.policyNames);
            await releaseDevLease(client, leaseRef, holder);
          })(),
          REMOVE_TIMEOUT_MS,
        );
        removal = `removed webhook configuration ${webhooks.name}`;
      } catch (error) {
        removal = `could not remove webhook configuration ${webhooks.name} (${oneLine(messageOf(error))}); once the cluster is back, run: kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration ${webhooks.name}`;
      }
    }
    // Every module process, including one still draining after a hand-over.
    await Promise.all([...children.values()].map((child) => child.stop()));
    // Only with the cluster there (a lost one was said once already); a next session adopts leftovers.
    if (impersonate && removal.startsWith("removed")) {
      await withTimeout(removeDevRbac(client, rbacRefs.objects, holder), REMOVE_TIMEOUT_MS).catch((error: unknown) => {
        say(`could not remove the module's dev ServiceAccount and roles (${oneLine(messageOf(error))})`);
      });
    }
    await proxy.close();
    await checker?.close();
    logTail.stop();
    rmSync(work, { recursive: true, force: true });
    say(`stopped; ${removal}`);
    await client.close().catch(() => {});
    resolveDone(code);
    return done;
  };

  if (options.watch) watcher = watchBundleInputs(moduleDir, () => void reload("change"));
  await reload("start");
  return { port: proxy.port, done, reload: () => reload("change"), stop: () => stop(0) };
}

async function probe(client: ApiClient): Promise<void> {
  await client.request({ path: "/readyz", accept: "text/plain", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first line that says something (esbuild puts the location on the second). */
function oneLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.length > 1 && lines[0]?.endsWith(":") ? `${lines[0]} ${lines[1]}` : (lines[0] ?? text);
}

async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  try {
    await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name } } });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}
