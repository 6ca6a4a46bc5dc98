import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { FaultProxy } from "../../../src/testing/fault-proxy.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

// issue 21, problem 9: monitor says what it waits for, fails fast against a dead API server, shows
// why a watch fails, names a missing kubeconfig; dev, monitor and uuid share the kubeconfig flags.

const capstan = resolve("bin/capstan.js");
let client: ApiClient;
let work: string;
const running: ChildProcess[] = [];

interface Run {
  readonly proc: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = work): Run {
  const proc = spawn(process.execPath, [capstan, ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(proc);
  let output = "";
  proc.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => proc.once("exit", (code) => done(code)));
  return {
    proc,
    output: () => output,
    exited,
    waitFor: (pattern, timeoutMs = 60_000) =>
      eventually(() => (pattern.test(output) ? true : undefined), {
        timeoutMs,
        intervalMs: 100,
        what: `the command to print ${pattern}`,
      }).then(
        () => undefined,
        (error: Error) => {
          throw new Error(`${error.message}\nit printed:\n${output}`);
        },
      ),
  };
}

interface AdminKubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
}

const adminKubeconfig = () => parse(readFileSync(inject("kubeconfig"), "utf8")) as AdminKubeconfig;

/** A kubeconfig for the test cluster's CA and `server`, authenticating with `user`. */
function kubeconfigFor(name: string, user: Record<string, unknown>, server?: string): string {
  const admin = adminKubeconfig();
  const cluster = admin.clusters[0] as { name: string; cluster: Record<string, unknown> };
  const file = join(work, `${name}.kubeconfig`);
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { ...cluster.cluster, ...(server ? { server } : {}) } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
      "current-context": "ctx",
    }),
  );
  return file;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  client = await adminClient();
  work = mkdtempSync(join(tmpdir(), "capstan-monitor-"));
});
afterAll(async () => {
  for (const proc of running) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await client.close();
});

describe("capstan monitor", () => {
  it("says which kubeconfig file is missing and what to do, in the same words for monitor, dev and uuid", async () => {
    const missing = join(work, "nope.kubeconfig");
    const fromEnv = run(["monitor", "some-module"], { KUBECONFIG: missing });
    expect(await fromEnv.exited).toBe(1);
    expect(fromEnv.output()).toBe(
      `capstan: kubeconfig ${missing} (from $KUBECONFIG) does not exist: point KUBECONFIG at an existing file or pass --kubeconfig <file> (\`capstan cluster up\` starts a local one; \`capstan cluster env\` prints its KUBECONFIG)\n`,
    );
    const flagLine = `kubeconfig ${missing} (from --kubeconfig) does not exist: pass an existing file, or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config`;
    for (const args of [
      ["monitor", "some-module", "--kubeconfig", missing],
      ["uuid", "--kubeconfig", missing],
      ["dev", "--kubeconfig", missing],
    ]) {
      const command = run(args);
      expect(await command.exited, args.join(" ")).toBe(1);
      expect(command.output(), args.join(" ")).toContain(`capstan: ${flagLine}`);
    }
  });

  it("fails within seconds, naming the server and the reason, when the API server is down or does not answer", async () => {
    // Nothing listens on a port just released: connection refused.
    const probe = createServer();
    const closedPort = await listen(probe);
    await new Promise<void>((done) => probe.close(() => done()));
    const refused = kubeconfigFor("refused", { token: "t" }, `https://127.0.0.1:${closedPort}`);
    let started = Date.now();
    const down = run(["monitor", "some-module", "--kubeconfig", refused]);
    expect(await down.exited).toBe(1);
    // Within seconds (the CLI's own start included, on a loaded machine), not silent forever.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(down.output()).toMatch(
      new RegExp(
        `^capstan: cannot reach the API server at https://127\\.0\\.0\\.1:${closedPort} \\(.*ECONNREFUSED.*\\): is the cluster running\\? \\(\`capstan cluster up\` starts a local one; --kubeconfig and --context pick another\\)\\n$`,
      ),
    );

    // A server that accepts connections and never answers.
    const silent = createServer(() => {});
    const silentPort = await listen(silent);
    try {
      const hanging = kubeconfigFor("silent", { token: "t" }, `https://127.0.0.1:${silentPort}`);
      started = Date.now();
      const stuck = run(["monitor", "some-module", "--kubeconfig", hanging]);
      expect(await stuck.exited).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(stuck.output()).toContain(
        `cannot reach the API server at https://127.0.0.1:${silentPort} (no answer in 5 s)`,
      );
    } finally {
      silent.close();
    }
  });

  it("says what it waits for when the module is not deployed, and keeps waiting", async () => {
    const ns = await freshNamespace(client, "monnone");
    const monitor = run(["monitor", `absent-${ns}`, "-n", ns, "--kubeconfig", inject("kubeconfig")]);
    await monitor.waitFor(
      new RegExp(
        `capstan monitor: module absent-${ns} is not deployed: deploy it with \`capstan build\` and \`capstan deploy\`, or run \`capstan dev\` and follow it with \`capstan monitor --dev\`; waiting for Pods labelled capstan.dev/uuid=absent-${ns} in ${ns}\\n`,
      ),
    );
    expect(monitor.proc.exitCode).toBeNull();
    monitor.proc.kill("SIGINT");
    expect(await monitor.exited).toBe(0);
  });

  it("shows why watching the module's Pods fails (status code and the server's message)", async () => {
    const ns = await freshNamespace(client, "monrbac");
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/serviceaccounts`,
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "viewer" } },
    });
    const { status } = await client.request<{ status: { token: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/serviceaccounts/viewer/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
    });
    const kubeconfig = kubeconfigFor("viewer", { token: status.token });
    const monitor = run(["monitor", "some-module", "-n", ns, "--kubeconfig", kubeconfig]);
    await monitor.waitFor(
      new RegExp(
        `capstan monitor: watching Pods in ${ns} failed: .*403 Forbidden: pods is forbidden: User "system:serviceaccount:${ns}:viewer" cannot list resource "pods".*; retrying\\n`,
      ),
    );
    monitor.proc.kill("SIGINT");
    expect(await monitor.exited).toBe(0);
  });

  it("says once that the API server is lost while it runs, retries, and says when watching works again", async () => {
    const ns = await freshNamespace(client, "monlost");
    const admin = adminKubeconfig();
    const target = String(admin.clusters[0]?.cluster.server);
    let proxy = await FaultProxy.start({ target });
    const port = proxy.port;
    const kubeconfig = kubeconfigFor("lost", admin.users[0]?.user ?? {}, proxy.url());
    const monitor = run(["monitor", "some-module", "-n", ns, "--kubeconfig", kubeconfig]);
    try {
      await monitor.waitFor(/module some-module is not deployed/);
      await proxy.close();
      await monitor.waitFor(
        new RegExp(`watching Pods in ${ns} failed: .*127\\.0\\.0\\.1:${port}.*; retrying\\n`),
        30_000,
      );
      proxy = await FaultProxy.start({ target, port });
      const back = Date.now();
      await monitor.waitFor(new RegExp(`watching Pods in ${ns} again\\n`), 30_000);
      expect(Date.now() - back).toBeLessThan(15_000);
      const failures = monitor.output().match(/watching Pods in \S+ failed/g) ?? [];
      expect(failures.length).toBeLessThanOrEqual(3); // one per distinct reason, not one per retry
      expect(monitor.proc.exitCode).toBeNull();
      monitor.proc.kill("SIGINT");
      expect(await monitor.exited).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
