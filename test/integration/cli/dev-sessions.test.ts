import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { packCapstan } from "../build/module-fixture.ts";
import {
  alive,
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

// issue 21, problems 2 and 3, and issue 14 item 3 (`pepr.env` in dev).

let client: ApiClient;
let work: string;
let tarball: string;
const devs: DevProcess[] = [];

beforeAll(async () => {
  client = await adminClient();
  work = mkdtempSync(join(tmpdir(), "capstan-dev-sessions-"));
  tarball = packCapstan(work);
});
afterAll(async () => {
  for (const dev of devs) await stopDev(dev);
  await client.close();
});

describe("capstan dev sessions", () => {
  it("a second session on the same module and cluster says who holds it and exits; the first keeps its webhooks", async () => {
    const ns = await freshNamespace(client, "devtwo");
    const uuid = `devtwo-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "two", { uuid }, greetingModule(ns, '"first"'));
    const first = startDev(moduleDir, inject("kubeconfig"));
    devs.push(first);
    await servesGreeting(client, ns, "first");
    const before = await mutatingConfig(client, `capstan-${uuid}`);
    expect(before?.webhooks?.[0]?.clientConfig?.url).toBeDefined();

    // The same folder, as a second terminal would run it.
    const second = startDev(moduleDir, inject("kubeconfig"));
    devs.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output().trim().split("\n")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^capstan: another capstan dev session runs this module on this cluster \\(pid ${first.proc.pid} on .+, started .+, in ${moduleDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; Lease kube-system/capstan-${uuid}-dev\\): stop it first$`,
        ),
      ),
    ]);
    const after = await mutatingConfig(client, `capstan-${uuid}`);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await greetingOf(client, ns, "still-first")).toBe("first");

    // Each session logs to its own file, and `capstan monitor --dev` finds the live one.
    const logs = join(moduleDir, ".capstan", "dev", String(first.proc.pid), "log.jsonl");
    expect(existsSync(logs)).toBe(true);
    expect(existsSync(join(moduleDir, ".capstan", "dev", String(second.proc.pid)))).toBe(false);
    expect(readFileSync(logs, "utf8")).not.toContain("\0");

    expect(await stopDev(first)).toBe(0);
    expect(await mutatingConfig(client, `capstan-${uuid}`)).toBeUndefined();
    // Released: the next session starts at once.
    const third = startDev(moduleDir, inject("kubeconfig"));
    devs.push(third);
    await servesGreeting(client, ns, "first");
    expect(await stopDev(third)).toBe(0);
  });

  it("SIGKILL of capstan dev leaves no module process within 5 s, and no webhook behind it", async () => {
    const ns = await freshNamespace(client, "devkill");
    const uuid = `devkill-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "kill", { uuid }, greetingModule(ns, '"alive"'));
    const dev = startDev(moduleDir, inject("kubeconfig"));
    devs.push(dev);
    await servesGreeting(client, ns, "alive");
    const modules = modulePids(dev.proc.pid as number);
    expect(modules).toHaveLength(1);
    dev.proc.kill("SIGKILL");
    await dev.exited;
    const killedAt = Date.now();
    await eventually(() => (modules.every((pid) => !alive(pid)) ? true : undefined), {
      timeoutMs: 5_000,
      what: "the module process to exit after its session was killed",
    });
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    // The module process removed the session's webhooks on its way out: the namespace admits.
    await eventually(async () => ((await mutatingConfig(client, `capstan-${uuid}`)) ? undefined : true), {
      timeoutMs: 5_000,
      what: "the webhook configuration to go",
    });
    expect(await greetingOf(client, ns, "after-kill")).toBeUndefined();
    // And the Lease: a new session starts at once.
    const next = startDev(moduleDir, inject("kubeconfig"));
    devs.push(next);
    await servesGreeting(client, ns, "alive").catch((error: Error) => {
      throw new Error(`${error.message}\nthe next session printed:\n${next.output()}`);
    });
    expect(await stopDev(next)).toBe(0);
  });

  it("pepr.env reaches the module process in dev, as in deployments", async () => {
    const ns = await freshNamespace(client, "devenv");
    const uuid = `devenv-${ns.slice(-8)}`;
    const moduleDir = writeModule(
      work,
      tarball,
      "env",
      { uuid, env: { GREETING_FROM_ENV: "hello-from-pepr-env" } },
      greetingModule(ns, 'process.env.GREETING_FROM_ENV ?? "unset"').replaceAll('"capstan"', '"pepr"'),
      "pepr",
    );
    const dev = startDev(moduleDir, inject("kubeconfig"));
    devs.push(dev);
    await servesGreeting(client, ns, "hello-from-pepr-env");
    expect(await stopDev(dev)).toBe(0);
  });
});
