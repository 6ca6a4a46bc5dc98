// What every scenario gets from the harness: the control plane, the engines, the run count, and
// helpers for namespaces, ports and CPU pinning.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { ApiClient } from "../../src/k8s/api-client.ts";
import { ApiError, NotFoundError } from "../../src/k8s/errors.ts";
import { freePort } from "../../src/testing/control-plane/ports.ts";
import type { Engine, EngineStartOptions, RunningEngine } from "../engines/engine.ts";
import { processTree } from "../engines/engine-process.ts";
import { sleep } from "../engines/running-engine.ts";

export interface BenchContext {
  readonly kubeconfig: string;
  readonly client: ApiClient;
  readonly engines: readonly Engine[];
  /** Counted runs per scenario and target (each table reports their median and min–max). */
  readonly runs: number;
  readonly log: (line: string) => void;
  /** The API server's and etcd's pids when the harness started them (not with --kubeconfig). */
  readonly controlPlanePids?: readonly number[];
}

export { freePort };

/** Creates a namespace with a unique name and waits for its default ServiceAccount (Pods need it). */
export async function freshNamespace(client: ApiClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await ensureNamespace(client, name);
  return name;
}

export async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  await client
    .request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name } } })
    .catch((error: unknown) => {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    });
  for (let attempt = 0; ; attempt++) {
    try {
      await client.request({ method: "GET", path: `/api/v1/namespaces/${name}/serviceaccounts/default` });
      return;
    } catch (error) {
      if (!(error instanceof NotFoundError) || attempt > 300) throw error;
      await sleep(100);
    }
  }
}

/** Deletes a namespace without waiting for its contents to go. */
export async function dropNamespace(client: ApiClient, name: string): Promise<void> {
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${name}` }).catch(() => {});
}

/** Pins a process and all its threads (and threads it starts later) to the given CPUs. */
export function pin(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}

/** Pins a process, its threads and every descendant it has now (later ones inherit the pinning). */
export function pinTree(pid: number, cpus: string): void {
  for (const member of processTree(pid)) pin(member, cpus);
}

/** Starts the bench module under `engine` on a free port and waits until it serves. */
export async function startReady(
  context: BenchContext,
  engine: Engine,
  options: Pick<EngineStartOptions, "namespace" | "scenario" | "env"> & { registerWebhooks?: boolean },
): Promise<RunningEngine> {
  const running = await engine.start({
    kubeconfig: context.kubeconfig,
    port: await freePort(),
    registerWebhooks: false,
    ...options,
  });
  try {
    await running.ready();
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}
