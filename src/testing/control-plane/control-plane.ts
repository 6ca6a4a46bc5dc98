import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { createCertificateAuthority, createSigningKeyPair } from "../../tls/index.ts";
import { ensureBinaries } from "./binaries.ts";
import { freePort } from "./ports.ts";
import { isAlive, type ManagedProcess, signal, startProcess, stopPid } from "./processes.ts";
import { type ClientTls, httpStatus, waitFor } from "./readiness.ts";

export interface ControlPlaneOptions {
  /** Where certificates, etcd data, logs, the kubeconfig and state.json live. Created if missing. */
  readonly stateDir: string;
  /** Also run kube-controller-manager (namespace deletion, garbage collection, service accounts). Default true. */
  readonly controllerManager?: boolean;
  /** Keep the processes running after this process exits (for `capstan cluster up`). Default false. */
  readonly detached?: boolean;
  /**
   * Run the processes in a process group of their own, so a terminal's Ctrl-C reaches only this
   * process, which then stops them in order (for `capstan dev --local`). Default false.
   */
  readonly ownProcessGroup?: boolean;
  readonly startTimeoutMs?: number;
  readonly onProgress?: (line: string) => void;
}

/** What a running control plane writes to `state.json`, enough for another process to use or stop it. */
export interface ControlPlaneState {
  readonly server: string;
  readonly kubeconfig: string;
  readonly etcdUrl: string;
  readonly caFile: string;
  readonly logDir: string;
  readonly pids: Readonly<Record<string, number>>;
  readonly startedAt: string;
}

interface Pki {
  readonly ca: string;
  readonly tls: ClientTls;
}

const stateFileName = "state.json";

/**
 * Starts etcd, kube-apiserver and (by default) kube-controller-manager on free 127.0.0.1 ports with
 * freshly generated certificates, waits until the API server is ready and the default namespace
 * exists, and writes an admin kubeconfig. If any step fails, everything started so far is stopped.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlaneState> {
  const progress = options.onProgress ?? (() => {});
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const dir = options.stateDir;
  const existing = readControlPlaneState(dir);
  if (existing && Object.values(existing.pids).some(isAlive)) {
    throw new Error(`a control plane is already running from ${dir} (${existing.server}); stop it first`);
  }
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ["pki", "logs", "etcd-data"]) mkdirSync(join(dir, sub), { recursive: true });

  const binaries = await ensureBinaries(progress);
  const pki = await writePki(join(dir, "pki"));
  const started: ManagedProcess[] = [];
  const stopOnExit = () => {
    for (const p of started) signal(p.pid, "SIGKILL");
  };
  if (!options.detached) process.once("exit", stopOnExit);
  try {
    const start = (name: string, command: string, args: string[]) => {
      const p = startProcess({
        name,
        command,
        args,
        logFile: join(dir, "logs", `${name}.log`),
        detached: options.detached ?? false,
        ownProcessGroup: options.ownProcessGroup ?? false,
      });
      started.push(p);
      return p;
    };
    progress("[capstan] starting etcd");
    const etcdUrl = `http://127.0.0.1:${await freePort()}`;
    const etcd = start("etcd", binaries.etcd, etcdArgs(dir, etcdUrl, await freePort()));
    await waitFor(etcd, timeoutMs, () => httpStatus(`${etcdUrl}/health`).then((s) => s === 200));

    progress("[capstan] starting kube-apiserver");
    const server = `https://127.0.0.1:${await freePort()}`;
    const apiserver = start("kube-apiserver", binaries.kubeApiserver, apiserverArgs(dir, server, etcdUrl));
    await waitFor(apiserver, timeoutMs, () => httpStatus(`${server}/readyz`, pki.tls).then((s) => s === 200));
    await waitFor(apiserver, timeoutMs, () =>
      httpStatus(`${server}/api/v1/namespaces/default`, pki.tls).then((s) => s === 200),
    );
    const kubeconfig = writeKubeconfig(dir, server);

    if (options.controllerManager ?? true) {
      progress("[capstan] starting kube-controller-manager");
      const kcm = start(
        "kube-controller-manager",
        binaries.kubeControllerManager,
        controllerManagerArgs(dir, kubeconfig),
      );
      await waitFor(kcm, timeoutMs, () =>
        httpStatus(`${server}/api/v1/namespaces/default/serviceaccounts/default`, pki.tls).then((s) => s === 200),
      );
    }
    const state: ControlPlaneState = {
      server,
      kubeconfig,
      etcdUrl,
      caFile: pki.ca,
      logDir: join(dir, "logs"),
      pids: Object.fromEntries(started.map((p) => [p.name, p.pid])),
      startedAt: new Date().toISOString(),
    };
    writeFileSync(join(dir, stateFileName), `${JSON.stringify(state, null, 2)}\n`);
    return state;
  } catch (error) {
    process.removeListener("exit", stopOnExit);
    await Promise.all(started.map((p) => stopPid(p.pid, 5_000)));
    throw error;
  }
}

/** Stops every process recorded in the state directory, newest first, and optionally removes the directory. */
export async function stopControlPlane(stateDir: string, options: { removeState?: boolean } = {}): Promise<void> {
  const state = readControlPlaneState(stateDir);
  if (state) {
    for (const name of ["kube-controller-manager", "kube-apiserver", "etcd"]) {
      const pid = state.pids[name];
      if (pid !== undefined) await stopPid(pid);
    }
  }
  if (options.removeState ?? true) rmSync(stateDir, { recursive: true, force: true });
}

export function readControlPlaneState(stateDir: string): ControlPlaneState | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, stateFileName), "utf8")) as ControlPlaneState;
  } catch {
    return undefined;
  }
}

/** True when every recorded process is alive and the API server answers /readyz with 200. */
export async function isControlPlaneReady(state: ControlPlaneState): Promise<boolean> {
  if (!Object.values(state.pids).every(isAlive)) return false;
  const dir = join(state.kubeconfig, "..", "pki");
  const tls = {
    ca: readFileSync(join(dir, "ca.crt"), "utf8"),
    cert: readFileSync(join(dir, "admin.crt"), "utf8"),
    key: readFileSync(join(dir, "admin.key"), "utf8"),
  };
  return (await httpStatus(`${state.server}/readyz`, tls).catch(() => 0)) === 200;
}

async function writePki(dir: string): Promise<Pki> {
  const ca = await createCertificateAuthority({ commonName: "capstan-local-ca" });
  const serving = await ca.issue({
    commonName: "kube-apiserver",
    usage: "server",
    dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
    ipAddresses: ["127.0.0.1"],
  });
  const admin = await ca.issue({ commonName: "capstan-admin", organizations: ["system:masters"], usage: "client" });
  const signing = await createSigningKeyPair();
  const files: Record<string, string> = {
    "ca.crt": ca.cert,
    "ca.key": ca.key,
    "apiserver.crt": serving.cert,
    "apiserver.key": serving.key,
    "admin.crt": admin.cert,
    "admin.key": admin.key,
    "sa.pub": signing.publicKey,
    "sa.key": signing.privateKey,
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  return { ca: join(dir, "ca.crt"), tls: { ca: ca.cert, cert: admin.cert, key: admin.key } };
}

function etcdArgs(dir: string, clientUrl: string, peerPort: number): string[] {
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  return [
    "--name=capstan",
    `--data-dir=${join(dir, "etcd-data")}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=capstan=${peerUrl}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

function apiserverArgs(dir: string, server: string, etcdUrl: string): string[] {
  const pki = (name: string) => join(dir, "pki", name);
  const port = new URL(server).port;
  return [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${port}`,
    `--tls-cert-file=${pki("apiserver.crt")}`,
    `--tls-private-key-file=${pki("apiserver.key")}`,
    `--client-ca-file=${pki("ca.crt")}`,
    "--authorization-mode=Node,RBAC",
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${pki("sa.pub")}`,
    `--service-account-signing-key-file=${pki("sa.key")}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    "--disable-admission-plugins=ServiceAccount",
    "--endpoint-reconciler-type=none",
    // Webhooks that name a Service are called at its endpoints (no kube-proxy here): tests that run
    // pods as host processes list those processes in the Service's Endpoints.
    "--enable-aggregator-routing=true",
    "--profiling=false",
  ];
}

function controllerManagerArgs(dir: string, kubeconfig: string): string[] {
  const pki = (name: string) => join(dir, "pki", name);
  return [
    `--kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--secure-port=0",
    "--controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller,validatingadmissionpolicy-status-controller",
    `--service-account-private-key-file=${pki("sa.key")}`,
    `--root-ca-file=${pki("ca.crt")}`,
    "--use-service-account-credentials=false",
  ];
}

function writeKubeconfig(dir: string, server: string): string {
  const pki = (name: string) => join(dir, "pki", name);
  const file = join(dir, "kubeconfig");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "capstan-local", cluster: { server, "certificate-authority-data": b64File(pki("ca.crt")) } }],
    users: [
      {
        name: "capstan-admin",
        user: {
          "client-certificate-data": b64File(pki("admin.crt")),
          "client-key-data": b64File(pki("admin.key")),
        },
      },
    ],
    contexts: [{ name: "capstan-local", context: { cluster: "capstan-local", user: "capstan-admin" } }],
    "current-context": "capstan-local",
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

function b64File(file: string): string {
  return readFileSync(file).toString("base64");
}
