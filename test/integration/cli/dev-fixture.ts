import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { eventually } from "../../support/cluster.ts";
import { installCapstan } from "../build/module-fixture.ts";

// Shared by the `capstan dev` tests: a scratch module with the packed capstan, a `capstan dev`
// process whose output the test reads, and the module processes it starts.

export interface ConfigMap {
  metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string };
  data?: Record<string, string>;
}

/** A capability that labels ConfigMaps created in `ns` with `greeting` (an expression in the module code). */
export function greetingModule(ns: string, greetingExpression: string, topLevel = ""): string {
  return `
import { Capability, PeprModule, a } from "capstan";
import pkg from "./package.json" with { type: "json" };
${topLevel}
const hello = new Capability({ name: "hello", description: "dev test", namespaces: ["${ns}"] });
hello.When(a.ConfigMap).IsCreated().InNamespace("${ns}")
  .Mutate((req) => { req.SetLabel("greeting", ${greetingExpression}); });
new PeprModule(pkg, [hello]);
`;
}

export function writeModule(
  work: string,
  tarball: string,
  name: string,
  config: Record<string, unknown>,
  code: string,
  key: "capstan" | "pepr" = "capstan",
): string {
  const moduleDir = join(work, name);
  mkdirSync(moduleDir, { recursive: true });
  writeFileSync(join(moduleDir, "package.json"), JSON.stringify({ name, [key]: { onError: "reject", ...config } }));
  writeFileSync(join(moduleDir, key === "capstan" ? "capstan.ts" : "pepr.ts"), code);
  installCapstan(moduleDir, tarball);
  // A Pepr module gets capstan under Pepr's name (`"pepr": "npm:capstan@…"`, the documented route).
  if (key === "pepr") symlinkSync(join(moduleDir, "node_modules", "capstan"), join(moduleDir, "node_modules", "pepr"));
  return moduleDir;
}

export interface DevProcess {
  readonly proc: ChildProcess;
  output(): string;
  /** Waits until the output matches, failing with the output so far. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
}

/** `processGroup`: dev leads a process group of its own, as a terminal's foreground job does (Ctrl-C signals the group). */
export function startDev(
  moduleDir: string,
  kubeconfig: string,
  args: readonly string[] = [],
  options: { readonly processGroup?: boolean } = {},
): DevProcess {
  const proc = spawn(
    process.execPath,
    [join(moduleDir, "node_modules/capstan/bin/capstan.js"), "dev", "--namespace", "capstan-dev-test", ...args],
    {
      cwd: moduleDir,
      env: { ...process.env, KUBECONFIG: kubeconfig, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.processGroup === true,
    },
  );
  let output = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return {
    proc,
    output: () => output,
    exited,
    waitFor: (pattern, timeoutMs = 90_000) =>
      eventually(() => output.match(pattern) ?? undefined, {
        timeoutMs,
        intervalMs: 100,
        what: `capstan dev to print ${pattern}`,
      }).catch((error: Error) => {
        throw new Error(`${error.message}\ncapstan dev printed:\n${output}`);
      }),
  };
}

/** What `capstan dev` said itself (`capstan dev: …`), from its JSON lines (piped, the default) or plain ones. */
export function sessionLines(output: string): string[] {
  return output.split("\n").flatMap((line) => {
    if (line.startsWith("capstan dev:")) return [line];
    try {
      const msg = (JSON.parse(line) as { msg?: unknown }).msg;
      return typeof msg === "string" && msg.startsWith("capstan dev:") ? [msg] : [];
    } catch {
      return [];
    }
  });
}

/** Stops a dev process with Ctrl-C (SIGKILL after 20 s) and returns its exit code. */
export async function stopDev(dev: DevProcess | undefined): Promise<number | null> {
  if (!dev || dev.proc.exitCode !== null || dev.proc.signalCode !== null) return dev?.proc.exitCode ?? null;
  dev.proc.kill("SIGINT");
  const timer = setTimeout(() => dev.proc.kill("SIGKILL"), 20_000);
  const code = await dev.exited;
  clearTimeout(timer);
  return code;
}

/** Every live process whose parent chain leads to `pid`. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** The module processes (`runtime/dev-main.js`) under `pid`. */
export function modulePids(pid: number): number[] {
  return descendants(pid).filter((child) => {
    try {
      const args = readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0");
      // (`runtime/main.js --role dev` before capstan dev had its own entry.)
      const isModule =
        args.some((arg) => arg.endsWith("/runtime/dev-main.js")) || args.join(" ").includes("--role dev");
      return isModule && alive(child);
    } catch {
      return false;
    }
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped) counts as gone.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Creates a ConfigMap and returns its greeting label (undefined when not mutated); throws when refused. */
export async function greetingOf(client: ApiClient, ns: string, name: string): Promise<string | undefined> {
  const cm = await client.request<ConfigMap>({
    method: "POST",
    path: `/api/v1/namespaces/${ns}/configmaps`,
    body: { metadata: { name } },
  });
  return cm.metadata.labels?.greeting;
}

let probes = 0;

/** Waits until ConfigMaps created in `ns` get `expected` as their greeting: the module serves. */
export async function servesGreeting(
  client: ApiClient,
  ns: string,
  expected: string,
  timeoutMs = 90_000,
): Promise<void> {
  let last = "nothing yet";
  await eventually(
    async () => {
      const greeting = await greetingOf(client, ns, `serving-${process.pid}-${probes++}`).catch((error: Error) => {
        last = `refused: ${error.message}`;
        throw error;
      });
      last = `greeting=${greeting}`;
      return greeting === expected ? true : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `the module to label ConfigMaps in ${ns} with greeting=${expected}` },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last: ${last})`);
  });
}

interface WebhookConfiguration {
  metadata: { resourceVersion?: string };
  webhooks?: { failurePolicy?: string; clientConfig?: { url?: string } }[];
}

export async function mutatingConfig(client: ApiClient, name: string): Promise<WebhookConfiguration | undefined> {
  try {
    return await client.request<WebhookConfiguration>({
      path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`,
    });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
