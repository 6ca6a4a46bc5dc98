import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startControlPlane, stopControlPlane } from "../../src/testing/control-plane/control-plane.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
    etcdUrl: string;
  }
}

/**
 * Starts one real control plane for the whole integration run, or reuses the one named by
 * CAPSTAN_TEST_KUBECONFIG (and CAPSTAN_TEST_ETCD_URL) when a developer keeps one running.
 */
export default async function setup(project: TestProject) {
  const reused = process.env.CAPSTAN_TEST_KUBECONFIG;
  if (reused) {
    project.provide("kubeconfig", reused);
    project.provide("etcdUrl", process.env.CAPSTAN_TEST_ETCD_URL ?? "");
    return;
  }
  const stateDir = mkdtempSync(join(tmpdir(), "capstan-test-cluster-"));
  const started = Date.now();
  const state = await startControlPlane({ stateDir, onProgress: (line) => console.log(line) });
  console.log(`[capstan] control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${state.server}`);
  project.provide("kubeconfig", state.kubeconfig);
  project.provide("etcdUrl", state.etcdUrl);
  return async () => {
    await stopControlPlane(stateDir, { removeState: process.env.CAPSTAN_KEEP_TEST_CLUSTER !== "1" });
  };
}
