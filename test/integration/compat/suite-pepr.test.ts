import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { type CompatTest, compatContext } from "../../compat/harness/context.ts";
import { cleanUp, clusterSnapshot } from "../../compat/harness/dev.ts";
import { compatModules, modulesRoot } from "../../compat/harness/tree.ts";
import { modulePackage, preparePepr } from "../../compat/pepr/bundle.ts";
import { expectedUnderPepr } from "../../compat/pepr/expected.ts";
import { type PeprRun, peprClusterResources, startPeprModule } from "../../compat/pepr/run.ts";
import { adminClient } from "../../support/cluster.ts";

// The compat suite's e2e tests against real Pepr 1.1.4 (test/compat/README.md, "Under Pepr 1.1.4"):
// each module bundled like `pepr build`, run by Pepr's own runtime on the host like `pepr dev`, with
// Pepr's webhook configurations. A module that passes here asserts Pepr's own behaviour.
// Its own vitest project (CAPSTAN_COMPAT_PEPR=1 vitest run --project compat-pepr): it installs Pepr on
// first use and would collide with the capstan suite's names on a shared control plane.

const modules = compatModules();
let client: ApiClient;

beforeAll(async () => {
  client = await adminClient();
  await preparePepr();
}, 300_000);

afterAll(async () => {
  await client?.close();
});

async function runUnderPepr(name: string): Promise<void> {
  const test = (await import(join(modulesRoot, name, "e2e.ts"))).default as CompatTest;
  const uuid = modulePackage(name).pepr.uuid;
  const kubeconfig = inject("kubeconfig");
  const before = await clusterSnapshot(client);
  let pepr: PeprRun | undefined;
  const t = compatContext({ kubeconfig, client, name, uuid, logs: () => pepr?.lines() ?? [] });
  const started = Date.now();
  let serving = started;
  try {
    await peprClusterResources(client, kubeconfig);
    await test.setup?.(t);
    pepr = await startPeprModule({ name, kubeconfig, client });
    await pepr.ready();
    serving = Date.now();
    await test.run(t);
  } catch (error) {
    const context = `${name} (${test.description})`;
    const output = `--- Pepr's output ---\n${t.moduleLogs().join("\n")}`;
    // The same error, so vitest still shows an assertion's diff.
    if (error instanceof Error) {
      error.message = `${context}: ${error.message}\n${output}`;
      throw error;
    }
    throw new Error(`${context}: ${String(error)}\n${output}`);
  } finally {
    await pepr?.stop();
    await cleanUp(client, uuid, before);
    const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
    const ended = Date.now();
    console.log(`[compat-pepr] ${name}: ${seconds(started, ended)} s (serving after ${seconds(started, serving)} s)`);
  }
}

describe("Pepr compatibility suite under Pepr 1.1.4", () => {
  it("lists only modules of the suite as not holding under Pepr", () => {
    expect(Object.keys(expectedUnderPepr).filter((name) => !modules.includes(name))).toEqual([]);
  });

  for (const name of modules) {
    const exception = expectedUnderPepr[name];
    if (exception) {
      it(`${name}: not under Pepr on the host (${exception.reason})`, async () => {
        await expect(runUnderPepr(name)).rejects.toThrow(exception.fails);
      }, 180_000);
    } else {
      it(name, () => runUnderPepr(name), 180_000);
    }
  }
});
