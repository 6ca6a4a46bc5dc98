import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { installCapstan, packCapstan } from "../build/module-fixture.ts";

interface ConfigMap {
  metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string };
  data?: Record<string, string>;
}

const capability = (greeting: string, ns: string) => `
import { Capability, K8s, PeprModule, a } from "capstan";
import pkg from "./package.json" with { type: "json" };

const hello = new Capability({ name: "hello", description: "dev test", namespaces: ["${ns}"] });
hello.When(a.ConfigMap).IsCreated().InNamespace("${ns}")
  .Mutate((req) => { req.SetLabel("greeting", "${greeting}"); })
  .Validate((req) => (req.HasLabel("forbidden") ? req.Deny("forbidden by the dev module", 403) : req.Approve()));
hello.When(a.ConfigMap).IsCreated().InNamespace("${ns}").WithLabel("watch-me")
  .Watch(async (cm) => {
    await K8s(a.ConfigMap).Apply({ metadata: { name: cm.metadata?.name + "-seen", namespace: "${ns}" }, data: { by: "${greeting}" } });
  });
new PeprModule(pkg, [hello]);
`;

let client: ApiClient;
let dev: ChildProcess | undefined;
let output = "";
beforeAll(async () => {
  client = await adminClient();
});
afterAll(async () => {
  dev?.kill("SIGKILL");
  await client.close();
});

describe("capstan dev", () => {
  it("runs a module, reloads it on change without touching the webhook configuration, and cleans up on exit", async () => {
    const ns = await freshNamespace(client, "dev");
    const uuid = `dev-${ns.slice(-8)}`;
    const work = mkdtempSync(join(tmpdir(), "capstan-dev-test-"));
    const moduleDir = join(work, "module");
    mkdirSync(moduleDir);
    writeFileSync(
      join(moduleDir, "package.json"),
      // The Watch applies ConfigMaps: dev runs the module as its ServiceAccount, which needs the rule.
      JSON.stringify({
        name: "dev-test",
        capstan: {
          uuid,
          onError: "reject",
          rbac: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["create", "patch"] }],
        },
      }),
    );
    writeFileSync(join(moduleDir, "capstan.ts"), capability("v1", ns));
    installCapstan(moduleDir, packCapstan(work));

    const port = await freePort();
    dev = spawn(
      process.execPath,
      [join(moduleDir, "node_modules/capstan/bin/capstan.js"), "dev", "--port", String(port), "--namespace", ns],
      {
        cwd: moduleDir,
        env: { ...process.env, KUBECONFIG: inject("kubeconfig"), LOG_LEVEL: "info" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    dev.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    dev.stderr?.on("data", (c: Buffer) => (output += c.toString()));

    const cms = `/api/v1/namespaces/${ns}/configmaps`;
    const create = (name: string, labels: Record<string, string> = {}) =>
      client.request<ConfigMap>({ method: "POST", path: cms, body: { metadata: { name, labels } } });
    const greetingOf = async (name: string) => (await create(name)).metadata.labels?.greeting;

    let n = 0;
    await eventually(async () => ((await greetingOf(`probe-${n++}`)) === "v1" ? true : undefined), {
      timeoutMs: 90_000,
      what: "the dev module to mutate",
    }).catch((error: Error) => {
      throw new Error(`${error.message}\ncapstan dev printed:\n${output}`);
    });
    const monitor = spawn(
      process.execPath,
      [join(moduleDir, "node_modules/capstan/bin/capstan.js"), "monitor", "--dev"],
      {
        cwd: moduleDir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // Also when an expectation below fails first: a monitor left running outlives the test run.
    onTestFinished(() => {
      monitor.kill("SIGKILL");
    });
    let monitored = "";
    monitor.stdout?.on("data", (c: Buffer) => (monitored += c.toString()));
    // The monitor follows from the end of the log as it starts: create until it shows a mutation.
    await eventually(
      async () => {
        await create(`monitored-${n++}`);
        return /MUTATED CREATE ConfigMap \S+\/monitored-\d+ .*\n {4}patch \[.*greeting.*"v1"/.test(monitored)
          ? true
          : undefined;
      },
      { what: "capstan monitor to show a mutation with its patch", intervalMs: 500 },
    );
    await expect(create("nope", { forbidden: "yes" })).rejects.toMatchObject({ status: 403 });
    await create("watched", { "watch-me": "yes" });
    const seen = await eventually(
      () => client.request<ConfigMap>({ path: `${cms}/watched-seen` }).catch(() => undefined),
      { what: "the Watch callback to act" },
    );
    expect(seen.data).toEqual({ by: "v1" });
    await eventually(async () => (/ OK +watch ADDED ConfigMap .*\/watched /.test(monitored) ? true : undefined), {
      what: "capstan monitor to show the Watch callback",
    }).catch((error: Error) => {
      throw new Error(`${error.message}\nmonitor printed:\n${monitored}`);
    });
    monitor.kill("SIGINT");
    expect(monitored).toMatch(new RegExp(`DENIED  CREATE ConfigMap ${ns}/nope: forbidden by the dev module`));

    const configPath = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/capstan-${uuid}`;
    const before = await client.request<ConfigMap>({ path: configPath });

    writeFileSync(join(moduleDir, "capstan.ts"), capability("v2", ns));
    await eventually(async () => ((await greetingOf(`after-${n++}`)) === "v2" ? true : undefined), {
      timeoutMs: 60_000,
      what: "the edited module to take over",
    });
    const after = await client.request<ConfigMap>({ path: configPath });
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);

    const exited = new Promise((resolve) => dev?.once("exit", resolve));
    dev.kill("SIGINT");
    await exited;
    dev = undefined;
    await expect(client.request({ path: configPath })).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      client.request({ path: `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/capstan-${uuid}` }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(output).toContain("module reloaded");
  });
});
