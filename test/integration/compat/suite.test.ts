import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { type CompatTest, compatContext } from "../../compat/harness/context.ts";
import { cleanUp, clusterSnapshot, startDev } from "../../compat/harness/dev.ts";
import { compatModules, modulesRoot, type PeprTree, preparePeprTree } from "../../compat/harness/tree.ts";
import { adminClient } from "../../support/cluster.ts";

// The Pepr compatibility suite (test/compat/README.md): each module of test/compat/modules, written
// as a Pepr user writes one, runs unchanged under `pepr dev` (capstan's `capstan dev`) from a project
// where capstan is installed as `pepr`, and its e2e.ts checks what it would check under Pepr.

const modules = compatModules();
let tree: PeprTree;
let client: ApiClient;

beforeAll(async () => {
  client = await adminClient();
  tree = preparePeprTree("suite");
}, 600_000);

afterAll(async () => {
  tree?.remove();
  await client?.close();
});

describe("Pepr compatibility suite under capstan dev", () => {
  it("has at least 20 modules", () => {
    if (modules.length < 20) throw new Error(`test/compat/modules holds ${modules.length} modules; the suite needs 20`);
  });

  for (const name of modules) {
    it(name, async () => {
      const test = (await import(join(modulesRoot, name, "e2e.ts"))).default as CompatTest;
      const pkg = JSON.parse(readFileSync(join(modulesRoot, name, "package.json"), "utf8"));
      const uuid: string = pkg.pepr.uuid;
      const kubeconfig = inject("kubeconfig");
      const before = await clusterSnapshot(client);
      let logs: () => string[] = () => [];
      const t = compatContext({ kubeconfig, client, name, uuid, logs: () => logs() });
      const started = Date.now();
      const phases: string[] = [];
      let mark = started;
      const lap = (phase: string) => {
        phases.push(`${phase} ${((Date.now() - mark) / 1000).toFixed(1)} s`);
        mark = Date.now();
      };
      let dev: ReturnType<typeof startDev> | undefined;
      try {
        await test.setup?.(t);
        lap("setup");
        dev = startDev(tree.moduleDir(name), tree.root, kubeconfig);
        logs = dev.lines;
        await dev.serving();
        lap("serving");
        await test.run(t);
        lap("run");
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${name} (${test.description}): ${message}\n--- module output ---\n${logs().join("\n")}`);
      } finally {
        await dev?.stop();
        lap("stop");
        await cleanUp(client, uuid, before);
        lap("clean-up");
        console.log(`[compat] ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s (${phases.join(", ")})`);
      }
    }, 420_000);
  }
});
