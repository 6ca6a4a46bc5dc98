// The bare node:https servers of bench/admission/server-process.ts as bench targets: posted to
// straight (scenario 1), or registered as both webhooks of a namespace (scenario 2), where the one
// that clones, labels and diffs is the least any Node webhook does for the same creates.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { applyWebhookConfigurations, deleteWebhookConfigurations } from "../../src/admission/registration.ts";
import { ApiClient } from "../../src/k8s/api-client.ts";
import { createCertificateAuthority } from "../../src/tls/certificates.ts";
import type { Engine, EngineStartOptions, ProcessUsage, RunningEngine } from "./engine.ts";
import { now, processUsage } from "./engine-process.ts";

export type BareKind = "bare-allow" | "bare-patch";

export const bareNames: Readonly<Record<BareKind, string>> = {
  "bare-allow": "bare node:https, fixed allow",
  "bare-patch": "bare node:https, clone + label + diff",
};

export interface BareServer {
  readonly url: string;
  readonly pid: number;
  readonly caCert: string;
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

export async function startBareServer(kind: BareKind): Promise<BareServer> {
  const ca = await createCertificateAuthority({ commonName: "bench" });
  const serving = await ca.issue({ commonName: "127.0.0.1", usage: "server", ipAddresses: ["127.0.0.1"] });
  const child = fork(fileURLToPath(new URL("../admission/server-process.ts", import.meta.url)), [kind], {
    env: { ...process.env, CERT: serving.cert, KEY: serving.key },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port: number }) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  const pid = child.pid ?? -1;
  return {
    url: `https://127.0.0.1:${port}/`,
    pid,
    caCert: ca.cert,
    usage: () => processUsage(pid),
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const CONFIGURATION = "bench-bare";

/** The clone + label + diff server as both webhooks of the namespace (admission scenario only). */
export const bareWebhookEngine: Engine = {
  name: bareNames["bare-patch"],
  version: process.version,
  async prepare() {},
  async start(options: EngineStartOptions): Promise<RunningEngine> {
    if (options.scenario !== "admission") throw new Error("the bare server only answers admission reviews");
    const client = await ApiClient.fromKubeconfig({ kubeconfig: options.kubeconfig });
    const spawnedAt = now();
    const server = await startBareServer("bare-patch");
    const webhook = (name: string) => ({
      name: `${name}.bench.capstan.dev`,
      clientConfig: { url: `${server.url}${name}`, caBundle: Buffer.from(server.caCert).toString("base64") },
      rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods", "configmaps"] }],
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": options.namespace } },
      failurePolicy: "Fail",
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
      timeoutSeconds: 10,
    });
    const configuration = (kind: string, name: string) => ({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind,
      metadata: { name: CONFIGURATION },
      webhooks: [webhook(name)],
    });
    if (options.registerWebhooks) {
      await applyWebhookConfigurations(client, {
        mutating: configuration("MutatingWebhookConfiguration", "mutate"),
        validating: configuration("ValidatingWebhookConfiguration", "validate"),
      });
    }
    const unavailable = () => Promise.reject(new Error("the bare server reports no events"));
    return {
      pid: server.pid,
      spawnedAt,
      mutateUrl: `${server.url}mutate`,
      validateUrl: `${server.url}validate`,
      healthUrl: server.url,
      caCert: server.caCert,
      waitFor: unavailable,
      onEvent: () => () => {},
      ready: async () => {},
      usage: () => server.usage(),
      async stop() {
        await deleteWebhookConfigurations(client, CONFIGURATION);
        await server.stop();
        await client.close();
      },
    };
  },
};
