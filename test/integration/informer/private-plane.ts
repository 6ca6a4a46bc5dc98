import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import {
  type ControlPlaneState,
  startControlPlane,
  stopControlPlane,
} from "../../../src/testing/control-plane/control-plane.ts";
import { signal, startProcess, stopPid } from "../../../src/testing/control-plane/processes.ts";
import { sleep } from "./helpers.ts";

/**
 * A control plane of this test's own (etcd + kube-apiserver, no controller manager), for tests that
 * restart the API server or compact etcd. `restartApiServer` stops only kube-apiserver (SIGTERM by
 * PID) and starts the same binary with the exact arguments it ran with (read from /proc), so the
 * URL, certificates and etcd data stay; etcd keeps running throughout.
 */
export class PrivatePlane {
  readonly state: ControlPlaneState;
  readonly #stateDir: string;
  #apiserverPid: number;
  readonly #restarted: number[] = [];

  private constructor(stateDir: string, state: ControlPlaneState) {
    this.#stateDir = stateDir;
    this.state = state;
    this.#apiserverPid = state.pids["kube-apiserver"] ?? 0;
  }

  static async start(): Promise<PrivatePlane> {
    const stateDir = mkdtempSync(join(tmpdir(), "capstan-private-plane-"));
    const state = await startControlPlane({ stateDir, controllerManager: false });
    return new PrivatePlane(stateDir, state);
  }

  client(): Promise<ApiClient> {
    return ApiClient.fromKubeconfig({ kubeconfig: this.state.kubeconfig });
  }

  /** Stops kube-apiserver, starts it again with the same command line, and waits until it is ready; returns the downtime in ms. */
  async restartApiServer(probe: ApiClient): Promise<number> {
    const argv = readFileSync(`/proc/${this.#apiserverPid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const [command, ...args] = argv;
    if (!command) throw new Error(`cannot read the command line of kube-apiserver (pid ${this.#apiserverPid})`);
    const stoppedAt = Date.now();
    await stopPid(this.#apiserverPid);
    const started = startProcess({
      name: "kube-apiserver",
      command,
      args,
      logFile: join(this.state.logDir, "kube-apiserver.log"),
      detached: false,
    });
    this.#apiserverPid = started.pid;
    this.#restarted.push(started.pid);
    process.once("exit", () => signal(started.pid, "SIGKILL"));
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(200)) {
      if (started.hasExited()) throw new Error(`kube-apiserver exited after its restart; see ${this.state.logDir}`);
      const ready = await probe.request<string>({ path: "/readyz", accept: "*/*" }).catch(() => undefined);
      if (ready === "ok") return Date.now() - stoppedAt;
    }
    throw new Error(`kube-apiserver was not ready 120 s after its restart; see ${this.state.logDir}`);
  }

  /** Compacts etcd at its current revision (through etcd's HTTP gateway); returns that revision. */
  async compactEtcd(): Promise<string> {
    return compactEtcd(this.state.etcdUrl);
  }

  async stop(): Promise<void> {
    for (const pid of this.#restarted) await stopPid(pid);
    await stopControlPlane(this.#stateDir);
  }
}

/** Compacts an etcd at its current revision; every older revision is gone afterwards. */
export async function compactEtcd(etcdUrl: string): Promise<string> {
  const range = await fetch(`${etcdUrl}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: "AA==" }) });
  const revision = ((await range.json()) as { header?: { revision?: string } }).header?.revision;
  if (!revision) throw new Error(`etcd at ${etcdUrl} did not report its revision`);
  const compaction = await fetch(`${etcdUrl}/v3/kv/compaction`, {
    method: "POST",
    body: JSON.stringify({ revision, physical: true }),
  });
  if (!compaction.ok) throw new Error(`etcd compaction failed: ${compaction.status} ${await compaction.text()}`);
  return revision;
}
