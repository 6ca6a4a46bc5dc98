import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { isAlive } from "../../../src/testing/control-plane/processes.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { packCapstan, repoRoot } from "../build/module-fixture.ts";
import { type DevProcess, greetingOf, servesGreeting, startDev, stopDev, writeModule } from "./dev-fixture.ts";

// issue 21, problem 10: what `capstan dev` prints. Piped (as here), JSON lines by default, from the
// module and from the session alike; `--log-format pretty` one readable line per event; `--local`
// says where its kubeconfig is.

let client: ApiClient;
let work: string;
let tarball: string;
const devs: DevProcess[] = [];

beforeAll(async () => {
  client = await adminClient();
  work = mkdtempSync(join(tmpdir(), "capstan-dev-output-"));
  tarball = packCapstan(work);
});
afterAll(async () => {
  for (const dev of devs) await stopDev(dev);
  await client.close();
});

/** A module whose Mutate logs one line through the logger it receives. */
function loggingModule(ns: string): string {
  return `
import { Capability, PeprModule, a } from "capstan";
import pkg from "./package.json" with { type: "json" };
const hello = new Capability({ name: "hello", description: "dev output test", namespaces: ["${ns}"] });
hello.When(a.ConfigMap).IsCreated().InNamespace("${ns}")
  .Mutate((req, logger) => {
    logger?.info({ configMap: req.Raw.metadata?.name }, "greeting the ConfigMap");
    req.SetLabel("greeting", "hi");
  });
new PeprModule(pkg, [hello]);
`;
}

describe("capstan dev output", () => {
  it("piped: every line is JSON, the module's and the session's", async () => {
    const ns = await freshNamespace(client, "devjson");
    const moduleDir = writeModule(work, tarball, "json-out", { uuid: `devjson-${ns.slice(-8)}` }, loggingModule(ns));
    const dev = startDev(moduleDir, inject("kubeconfig"));
    devs.push(dev);
    await servesGreeting(client, ns, "hi");
    await greetingOf(client, ns, "logged");
    await dev.waitFor(/"configMap":"logged"/);
    expect(await stopDev(dev)).toBe(0);

    const lines = dev.output().split("\n").filter(Boolean);
    const records = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}\ncapstan dev printed:\n${dev.output()}`);
      }
    });
    expect(records).toContainEqual(
      expect.objectContaining({ level: 30, "capstan.component": "dev", msg: "capstan dev: module serving" }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 30,
        "capstan.capability": "hello",
        configMap: "logged",
        msg: "greeting the ConfigMap",
      }),
    );
    expect(records.at(-1)?.msg).toMatch(/^capstan dev: stopped; removed webhook configuration /);
  });

  it("--log-format pretty: a line per event with time, level, capability/binding, message and fields", async () => {
    const ns = await freshNamespace(client, "devpretty");
    const moduleDir = writeModule(
      work,
      tarball,
      "pretty-out",
      { uuid: `devpretty-${ns.slice(-8)}` },
      loggingModule(ns),
    );
    const dev = startDev(moduleDir, inject("kubeconfig"), ["--log-format", "pretty"]);
    devs.push(dev);
    await servesGreeting(client, ns, "hi");
    await greetingOf(client, ns, "logged");
    const [greeting] = await dev.waitFor(/^.*configMap=logged.*$/m);
    expect(greeting).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}hello\/0-mutate-configmap: greeting the ConfigMap .*configMap=logged/,
    );
    expect(await stopDev(dev)).toBe(0);
    const lines = dev.output().split("\n").filter(Boolean);
    expect(lines.filter((line) => line.startsWith("{"))).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}capstan dev: module serving$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}capstan dev: stopped; removed webhook configuration /),
    );
  });

  it("--local prints the kubeconfig of the control plane it started", { timeout: 300_000 }, async () => {
    const moduleDir = writeModule(work, tarball, "local-out", { uuid: "devlocal-output" }, loggingModule("devlocal"));
    // The package ships the control plane's build script (package.json "files"); the fixture's pack does not.
    const script = join(moduleDir, "node_modules", "capstan", "scripts", "build-control-plane.sh");
    mkdirSync(dirname(script), { recursive: true });
    cpSync(join(repoRoot, "scripts", "build-control-plane.sh"), script);
    const dev = startDev(moduleDir, "/nonexistent-kubeconfig", ["--local", "--log-format", "pretty"], {
      processGroup: true,
    });
    devs.push(dev);
    const exitedEarly = dev.exited.then((code) => {
      throw new Error(`capstan dev --local exited (${code}):\n${dev.output()}`);
    });
    const [, kubeconfig] = await Promise.race([
      dev.waitFor(/capstan dev: local control plane ready; kubeconfig (\S+) /, 180_000),
      exitedEarly,
    ]);
    expect(kubeconfig).toBe(join(moduleDir, ".capstan", "cluster", "kubeconfig"));
    expect(existsSync(kubeconfig as string)).toBe(true);
    expect(readFileSync(kubeconfig as string, "utf8")).toContain("server: https://");
    await dev.waitFor(/capstan dev: module serving/, 120_000);
    const state = JSON.parse(readFileSync(join(moduleDir, ".capstan", "cluster", "state.json"), "utf8")) as {
      pids: Record<string, number>;
    };
    // Ctrl-C in a terminal signals the whole foreground group: the control plane must not die under
    // the session before it has removed its webhooks (issue 21, problem 5: no contradictory lines).
    process.kill(-(dev.proc.pid as number), "SIGINT");
    expect(await dev.exited).toBe(0);
    expect(dev.output()).not.toMatch(/could not remove/);
    expect(dev.output()).toMatch(/stopped/);
    for (const pid of Object.values(state.pids)) expect(isAlive(pid), `control-plane pid ${pid}`).toBe(false);
  });
});
