import { mkdtempSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { packCapstan } from "../build/module-fixture.ts";
import {
  type DevProcess,
  greetingModule,
  greetingOf,
  modulePids,
  mutatingConfig,
  servesGreeting,
  startDev,
  stopDev,
  writeModule,
} from "./dev-fixture.ts";

// issue 21, problems 1 and 4: webhooks never outlive a good module, and only the bundle's own
// files (and package.json) reload it.

let client: ApiClient;
let work: string;
let tarball: string;
const devs: DevProcess[] = [];
let blocker: Server | undefined;

beforeAll(async () => {
  client = await adminClient();
  work = mkdtempSync(join(tmpdir(), "capstan-dev-last-good-"));
  tarball = packCapstan(work);
});
afterAll(async () => {
  for (const dev of devs) await stopDev(dev);
  blocker?.close();
  await client.close();
});

describe("capstan dev keeps a good module serving", () => {
  it("syntax error, top-level throw and a crashed process never leave failurePolicy Fail webhooks behind a dead module", async () => {
    const ns = await freshNamespace(client, "devgood");
    const uuid = `devgood-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "good", { uuid }, greetingModule(ns, '"v1"'));
    const entry = join(moduleDir, "capstan.ts");
    const dev = startDev(moduleDir, inject("kubeconfig"));
    devs.push(dev);
    let n = 0;
    const greeting = () => greetingOf(client, ns, `probe-${n++}`);
    await servesGreeting(client, ns, "v1");
    expect((await mutatingConfig(client, `capstan-${uuid}`))?.webhooks?.[0]?.failurePolicy).toBe("Fail");

    // A syntax error: the build fails, the v1 process keeps serving and admitting.
    writeFileSync(entry, `${greetingModule(ns, '"v2"')}\nconst broken = ;\n`);
    await dev.waitFor(/build failed: .*capstan\.ts:\d+:\d+: .*; the last good module keeps serving/);
    for (let i = 0; i < 5; i++) expect(await greeting()).toBe("v1");

    // A type error esbuild would let through (the API server would reject the status code later).
    writeFileSync(
      entry,
      greetingModule(ns, '"v2"').replace(
        "new PeprModule",
        `hello.When(a.ConfigMap).IsCreated().InNamespace("${ns}").Validate((req) => req.Deny("no", "403"));\nnew PeprModule`,
      ),
    );
    await dev.waitFor(
      /type error: capstan\.ts:\d+:\d+: Argument of type 'string' is not assignable to parameter of type 'number'\.; the last good module keeps serving/,
    );
    for (let i = 0; i < 5; i++) expect(await greeting()).toBe("v1");

    // Code that throws while loading: the new process never serves, v1 still does.
    writeFileSync(entry, greetingModule(ns, '"v3"', 'throw new Error("boom while loading");'));
    await dev.waitFor(/the new build did not start: Error: boom while loading; the last good module keeps serving/);
    for (let i = 0; i < 5; i++) expect(await greeting()).toBe("v1");

    // The serving process dies: said loudly, and the webhooks fail open, so the namespace admits.
    const [module] = modulePids(dev.proc.pid as number);
    expect(module).toBeDefined();
    process.kill(module as number, "SIGKILL");
    await dev.waitFor(/NO MODULE IS SERVING: the module process exited \(signal SIGKILL\)/);
    await eventually(
      async () =>
        (await mutatingConfig(client, `capstan-${uuid}`))?.webhooks?.every((w) => w.failurePolicy === "Ignore")
          ? true
          : undefined,
      { what: "the webhooks to fail open" },
    );
    expect(await greeting()).toBeUndefined();

    // A good build serves again, with the module's own failurePolicy.
    writeFileSync(entry, greetingModule(ns, '"v4"'));
    await eventually(async () => ((await greeting()) === "v4" ? true : undefined), {
      timeoutMs: 60_000,
      what: "the fixed module to serve",
    });
    expect((await mutatingConfig(client, `capstan-${uuid}`))?.webhooks?.[0]?.failurePolicy).toBe("Fail");
    expect(await stopDev(dev)).toBe(0);
    expect(await mutatingConfig(client, `capstan-${uuid}`)).toBeUndefined();
  });

  it("a taken port is one clear line and no webhook; by default every session gets a free port", async () => {
    const ns = await freshNamespace(client, "devport");
    const listening = createServer();
    blocker = listening;
    const taken = await new Promise<number>((resolve) =>
      listening.listen(0, "127.0.0.1", () => resolve((listening.address() as AddressInfo).port)),
    );
    const first = writeModule(work, tarball, "port-a", { uuid: `porta-${ns.slice(-8)}` }, greetingModule(ns, '"a"'));
    const dev = startDev(first, inject("kubeconfig"), ["--port", String(taken)]);
    devs.push(dev);
    expect(await dev.exited).toBe(1);
    const lines = dev.output().trim().split("\n");
    expect(lines).toEqual([
      `capstan: port ${taken} on 127.0.0.1 is taken by another process: pass another --port, or leave --port out for a free one`,
    ]);
    expect(await mutatingConfig(client, `capstan-porta-${ns.slice(-8)}`)).toBeUndefined();
    expect(await greetingOf(client, ns, "admitted")).toBeUndefined();

    // Two sessions of two modules, neither naming a port: both serve.
    const nsB = await freshNamespace(client, "devport");
    const second = writeModule(work, tarball, "port-b", { uuid: `portb-${nsB.slice(-8)}` }, greetingModule(nsB, '"b"'));
    const devA = startDev(first, inject("kubeconfig"));
    const devB = startDev(second, inject("kubeconfig"));
    devs.push(devA, devB);
    const [portA] = (await devA.waitFor(/webhooks on https:\/\/127\.0\.0\.1:(\d+)/)).slice(1);
    const [portB] = (await devB.waitFor(/webhooks on https:\/\/127\.0\.0\.1:(\d+)/)).slice(1);
    expect(portA).not.toBe(portB);
    await servesGreeting(client, ns, "a");
    await servesGreeting(client, nsB, "b");
    expect(await greetingOf(client, ns, "from-a")).toBe("a");
    expect(await greetingOf(client, nsB, "from-b")).toBe("b");
    expect(await stopDev(devA)).toBe(0);
    expect(await stopDev(devB)).toBe(0);
  });

  it("reloads on the bundle's files and package.json, not on other files in the folder", async () => {
    const ns = await freshNamespace(client, "devinputs");
    const code = `import { greeting } from "./greeting.ts";\n${greetingModule(ns, "greeting")}`;
    const moduleDir = writeModule(work, tarball, "inputs", { uuid: `inputs-${ns.slice(-8)}` }, code);
    writeFileSync(join(moduleDir, "greeting.ts"), 'export const greeting = "one";\n');
    const dev = startDev(moduleDir, inject("kubeconfig"));
    devs.push(dev);
    await servesGreeting(client, ns, "one");
    const reloads = () => dev.output().match(/module reloaded/g)?.length ?? 0;

    // Files the bundle is not built from: a test, a scenario file, a log written again and again.
    writeFileSync(join(moduleDir, "hello.test.ts"), "export {};\n");
    writeFileSync(join(moduleDir, "hello.scenarios.yaml"), "scenarios: []\n");
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(moduleDir, "debug.log"), `line ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(reloads()).toBe(0);

    // An imported file reloads once.
    writeFileSync(join(moduleDir, "greeting.ts"), 'export const greeting = "two";\n');
    await dev.waitFor(/module reloaded/);
    let n = 0;
    await eventually(async () => ((await greetingOf(client, ns, `p-${n++}`)) === "two" ? true : undefined), {
      what: "the imported file's change to serve",
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(reloads()).toBe(1);
    expect(await stopDev(dev)).toBe(0);
  });
});
