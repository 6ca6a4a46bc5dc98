import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { packCapstan } from "../build/module-fixture.ts";
import { type DevProcess, servesGreeting, startDev, stopDev, writeModule } from "./dev-fixture.ts";

// issue 21, "traffic becomes tests": `capstan dev --record` and `capstan monitor --dev --record` write
// the admission requests a real module answers as scenarios `capstan test` replays offline.

let client: ApiClient;
let work: string;
let tarball: string;
let dev: DevProcess | undefined;

function recordModule(ns: string, greeting: string): string {
  return `
import { Capability, PeprModule, a } from "capstan";
import pkg from "./package.json" with { type: "json" };
const hello = new Capability({ name: "hello", description: "record test", namespaces: ["${ns}"] });
hello.When(a.ConfigMap).IsCreated().InNamespace("${ns}")
  .Mutate((req) => { req.SetLabel("greeting", "${greeting}"); });
hello.When(a.Secret).IsCreated().InNamespace("${ns}")
  .Validate((req) => req.Raw.metadata?.labels?.deny === "yes" ? req.Deny("secrets labelled deny=yes are refused", 403) : req.Approve());
new PeprModule(pkg, [hello]);
`;
}

/** `capstan test` in the module folder: exit code and report. */
function capstanTest(moduleDir: string, file: string): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(moduleDir, "node_modules/capstan/bin/capstan.js"), "test", file], {
    cwd: moduleDir,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const secretValue = "s3cr3t-value-for-the-record-test";

beforeAll(async () => {
  client = await adminClient();
  work = mkdtempSync(join(tmpdir(), "capstan-record-"));
  tarball = packCapstan(work);
});
afterAll(async () => {
  await stopDev(dev);
  await client.close();
});

describe("recording admission traffic", () => {
  it("20 requests answered by a dev module replay offline as 20 passing scenarios; a changed label fails its scenarios with the diff", async () => {
    const ns = await freshNamespace(client, "record");
    const uuid = `record-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "rec", { uuid }, recordModule(ns, "hello"));
    const devFile = join(moduleDir, "dev.scenarios.yaml");
    dev = startDev(moduleDir, inject("kubeconfig"), ["--record", devFile]);
    // The warm-up requests go to the dev recording; monitor starts after them.
    await servesGreeting(client, ns, "hello");

    const monitorFile = join(moduleDir, "traffic.scenarios.yaml");
    const monitor = spawn(
      process.execPath,
      [join(moduleDir, "node_modules/capstan/bin/capstan.js"), "monitor", "--dev", "--record", monitorFile],
      { cwd: moduleDir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let monitored = "";
    monitor.stdout?.on("data", (c: Buffer) => (monitored += c.toString()));
    monitor.stderr?.on("data", (c: Buffer) => (monitored += c.toString()));
    const monitorExited = new Promise<number | null>((done) => monitor.once("exit", (code) => done(code)));
    await eventually(() => (/following the capstan dev session's log/.test(monitored) ? true : undefined), {
      what: "capstan monitor --dev to start following",
    });

    // 12 ConfigMaps (mutated), 6 Secrets admitted, 2 refused: 20 webhook calls.
    for (let i = 0; i < 12; i++) {
      await client.request({
        method: "POST",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        body: { metadata: { name: `cm-${i}` }, data: { n: String(i) } },
      });
    }
    for (let i = 0; i < 8; i++) {
      const deny = i >= 6;
      const created = client.request({
        method: "POST",
        path: `/api/v1/namespaces/${ns}/secrets`,
        body: {
          metadata: { name: `secret-${i}`, labels: deny ? { deny: "yes" } : {} },
          stringData: { password: secretValue },
        },
      });
      if (deny) await expect(created).rejects.toThrow(/secrets labelled deny=yes are refused/);
      else await created;
    }
    await eventually(
      () =>
        existsSync(monitorFile) && (readFileSync(monitorFile, "utf8").match(/^- name: /gm) ?? []).length >= 20
          ? true
          : undefined,
      { timeoutMs: 30_000, what: "20 scenarios in the monitor's recording" },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nmonitor printed:\n${monitored}`);
    });
    monitor.kill("SIGINT");
    expect(await monitorExited).toBe(0);
    expect(monitored).toContain(
      `capstan monitor: recorded 20 scenario(s) in ${monitorFile}; replay them with \`capstan test ${monitorFile}\``,
    );
    expect(await stopDev(dev)).toBe(0);
    expect(dev.output()).toMatch(/recorded (\d+) scenario\(s\) in .*dev\.scenarios\.yaml/);
    const devRecorded = Number(/recorded (\d+) scenario\(s\)/.exec(dev.output())?.[1]);
    expect(devRecorded).toBeGreaterThan(20); // the warm-up requests as well

    const recorded = readFileSync(monitorFile, "utf8");
    expect(recorded).not.toContain(secretValue);
    expect(recorded).not.toContain(Buffer.from(secretValue).toString("base64"));
    // The dev session's terminal output does not carry the records either.
    expect(dev.output()).not.toContain(Buffer.from(secretValue).toString("base64"));

    const replay = capstanTest(moduleDir, monitorFile);
    expect(replay.output).toContain("20 scenarios: 20 passed, 0 failed");
    expect(replay.code).toBe(0);
    const all = capstanTest(moduleDir, devFile);
    expect(all.output).toContain(`${devRecorded} scenarios: ${devRecorded} passed, 0 failed`);

    // One changed capability: the ConfigMap scenarios fail with the diff, the Secret ones still pass.
    writeFileSync(join(moduleDir, "capstan.ts"), recordModule(ns, "changed"));
    const changed = capstanTest(moduleDir, monitorFile);
    expect(changed.code).toBe(1);
    expect(changed.output).toContain("20 scenarios: 8 passed, 12 failed");
    expect(changed.output).toMatch(/✗ 001 CREATE ConfigMap .*\/cm-0 \(mutate\)/);
    expect(changed.output).toMatch(/greeting.*hello/s);
    expect(changed.output).toMatch(/changed/);
    expect(changed.output).toMatch(/✓ 013 CREATE Secret .*\/secret-0 \(validate\)/);
  });

  it("monitor --dev --record on a session that does not record says how to turn recording on, and writes nothing", async () => {
    const ns = await freshNamespace(client, "norecord");
    const uuid = `norecord-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "norec", { uuid }, recordModule(ns, "hello"));
    dev = startDev(moduleDir, inject("kubeconfig"));
    await servesGreeting(client, ns, "hello");
    const file = join(moduleDir, "nothing.scenarios.yaml");
    const monitor = spawn(
      process.execPath,
      [join(moduleDir, "node_modules/capstan/bin/capstan.js"), "monitor", "--dev", "--record", file],
      { cwd: moduleDir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let monitored = "";
    monitor.stdout?.on("data", (c: Buffer) => (monitored += c.toString()));
    monitor.stderr?.on("data", (c: Buffer) => (monitored += c.toString()));
    const monitorExited = new Promise<number | null>((done) => monitor.once("exit", (code) => done(code)));
    await eventually(() => (/following the capstan dev session's log/.test(monitored) ? true : undefined), {
      what: "capstan monitor --dev to start following",
    });
    let n = 0;
    await eventually(
      async () => {
        await client.request({
          method: "POST",
          path: `/api/v1/namespaces/${ns}/configmaps`,
          body: { metadata: { name: `plain-${n++}` } },
        });
        return /capstan monitor: the dev session logs admission decisions but not the requests: start it with `capstan dev --record FILE` to record\n/.test(
          monitored,
        )
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "monitor to say the session does not record" },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nmonitor printed:\n${monitored}`);
    });
    monitor.kill("SIGINT");
    expect(await monitorExited).toBe(0);
    expect(monitored).toContain(`capstan monitor: recorded no admission request; nothing written to ${file}`);
    expect(monitored.match(/does not record|but not the requests/g)).toHaveLength(1);
    expect(existsSync(file)).toBe(false);
    expect(await stopDev(dev)).toBe(0);
  });
});

// issue 21, problem 9: the shared kubeconfig flags, end to end.
describe("capstan dev and monitor --context", () => {
  it("dev and monitor --kubeconfig/--context pick the context, for dev's module process too", async () => {
    const ns = await freshNamespace(client, "context");
    const uuid = `context-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "ctx", { uuid }, recordModule(ns, "hello"));
    const admin = parse(readFileSync(inject("kubeconfig"), "utf8")) as {
      clusters: { cluster: Record<string, unknown> }[];
      users: { user: Record<string, unknown> }[];
    };
    const real = admin.clusters[0]?.cluster ?? {};
    const kubeconfig = join(work, "two-contexts.kubeconfig");
    // The current context names a server where nothing listens: only --context reaches the cluster.
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "real", cluster: real },
          { name: "dead", cluster: { ...real, server: "https://127.0.0.1:1" } },
        ],
        users: [{ name: "admin", user: admin.users[0]?.user ?? {} }],
        contexts: [
          { name: "dead", context: { cluster: "dead", user: "admin" } },
          { name: "real", context: { cluster: "real", user: "admin" } },
        ],
        "current-context": "dead",
      }),
    );
    const cli = join(moduleDir, "node_modules/capstan/bin/capstan.js");
    const wrong = spawnSync(process.execPath, [cli, "monitor", uuid, "-n", ns, "--kubeconfig", kubeconfig], {
      cwd: moduleDir,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("cannot reach the API server at https://127.0.0.1:1 ");

    dev = startDev(moduleDir, "/nonexistent/kubeconfig", ["--kubeconfig", kubeconfig, "--context", "real"]);
    await servesGreeting(client, ns, "hello").catch((error: Error) => {
      throw new Error(`${error.message}\ncapstan dev printed:\n${dev?.output()}`);
    });
    expect(await stopDev(dev)).toBe(0);
  });
});
