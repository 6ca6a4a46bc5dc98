import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { envFor } from "./tree.ts";

/** A module running under `pepr dev` (capstan's `pepr` executable, which runs `capstan dev`). */
export interface DevRun {
  /** Every line printed so far (the module process's log on stdout, `capstan dev`'s lines on stderr). */
  lines(): string[];
  /** Resolves once `capstan dev` says the module serves; rejects with the output if it exits first or takes over `timeoutMs`. */
  serving(timeoutMs?: number): Promise<void>;
  /** Ctrl-C, as a developer stops it; SIGKILL after 20 s. */
  stop(): Promise<void>;
}

export function startDev(moduleDir: string, treeRoot: string, kubeconfig: string): DevRun {
  const lines: string[] = [];
  const proc: ChildProcess = spawn(process.execPath, [join(treeRoot, "node_modules/pepr/bin/pepr.js"), "dev"], {
    cwd: moduleDir,
    // Pepr's default log level; a module's `pepr.env` may change it for the module process.
    env: { ...envFor(moduleDir), KUBECONFIG: kubeconfig, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let partial = "";
    stream?.on("data", (chunk: Buffer) => {
      partial += chunk.toString();
      const complete = partial.split("\n");
      partial = complete.pop() ?? "";
      for (const line of complete) if (line.trim()) lines.push(line);
    });
  };
  collect(proc.stdout);
  collect(proc.stderr);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const output = () => lines.join("\n");
  return {
    lines: () => [...lines],
    async serving(timeoutMs = 240_000) {
      const deadline = Date.now() + timeoutMs;
      let gone = false;
      void exited.then(() => (gone = true));
      while (!lines.some((line) => line.includes("capstan dev: module serving"))) {
        if (gone) throw new Error(`pepr dev exited before the module served:\n${output()}`);
        if (Date.now() > deadline)
          throw new Error(`pepr dev did not serve the module within ${timeoutMs / 1000} s:\n${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGINT");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Named {
  metadata: { name: string };
}
interface List {
  items: Named[];
}

/** Names of the namespaces and CRDs that exist now, to remove what a module made. */
export async function clusterSnapshot(client: ApiClient): Promise<{ namespaces: Set<string>; crds: Set<string> }> {
  const names = async (path: string) =>
    new Set((await client.request<List>({ path })).items.map((item) => item.metadata.name));
  return {
    namespaces: await names("/api/v1/namespaces"),
    crds: await names("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"),
  };
}

/**
 * Removes what a module left: namespaces and CRDs made since `before` (not pepr-system, where every
 * module's session lives, nor the Store CRDs), the module's PeprStores, Store shards and webhook
 * configurations. Namespaces are not waited for: each module uses namespace names of its own.
 */
export async function cleanUp(
  client: ApiClient,
  uuid: string,
  before: { namespaces: Set<string>; crds: Set<string> },
): Promise<void> {
  const after = await clusterSnapshot(client);
  const remove = (path: string) => client.request({ method: "DELETE", path }).catch(() => undefined);
  for (const namespace of after.namespaces)
    if (!before.namespaces.has(namespace) && namespace !== "pepr-system")
      await remove(`/api/v1/namespaces/${namespace}`);
  for (const crd of after.crds)
    if (!before.crds.has(crd) && !crd.endsWith(".pepr.dev") && !crd.endsWith(".capstan.dev"))
      await remove(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`);
  for (const stores of [
    "/apis/pepr.dev/v1/namespaces/pepr-system/peprstores",
    "/apis/capstan.dev/v1/namespaces/pepr-system/capstanstores",
  ]) {
    const items = await client.request<List>({ path: stores }).then(
      (list) => list.items,
      () => [],
    );
    for (const store of items)
      if (store.metadata.name.startsWith(`pepr-${uuid}`)) await remove(`${stores}/${store.metadata.name}`);
  }
  for (const kind of ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]) {
    const configurations = await client.request<List>({ path: `/apis/admissionregistration.k8s.io/v1/${kind}` });
    for (const configuration of configurations.items)
      if (configuration.metadata.name.startsWith(`pepr-${uuid}`))
        await remove(`/apis/admissionregistration.k8s.io/v1/${kind}/${configuration.metadata.name}`);
  }
}
