import type { ChildProcess } from "node:child_process";
import { expect } from "vitest";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import type { ResourceNames } from "../../../src/contract/resource-names.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConflictError } from "../../../src/k8s/errors.ts";
import { WebhookCertificates } from "../../../src/runtime/webhook-certificates.ts";
import { eventually } from "../../support/cluster.ts";

// What the "pods without a kubelet" tests share, whether a pod is a host process or the image in a
// chroot: installing the module's objects, a token for its ServiceAccount, and the checks that the
// pods serve admission through the API server, elect a controller and run its Watch.

export interface Pod {
  readonly role: string;
  readonly name: string;
  readonly port: number;
  readonly process: ChildProcess;
  output: string;
}

export function podOutput(pods: readonly Pod[]): string {
  return pods.map((p) => `--- ${p.name}\n${p.output}`).join("\n");
}

/**
 * The watched namespace, the module's objects, and a webhook certificate valid for the Service and
 * for 127.0.0.1, made before the pods start (as an installer or cert-manager would); the runtime finds
 * it and serves it. Returns a token of the generated ServiceAccount.
 */
export async function installModule(
  client: ApiClient,
  namespace: string,
  names: ResourceNames,
  objects: readonly KubeObject[],
  watchedNamespace: string,
): Promise<string> {
  await client
    .request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: watchedNamespace } } })
    .catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
  await applyAll(client, [...objects]);
  await new WebhookCertificates({
    client,
    namespace,
    secretName: names.tlsSecret,
    dnsNames: [`${names.service("admission")}.${namespace}.svc`],
    ipAddresses: ["127.0.0.1"],
    validForMs: 3_600_000,
    renewBeforeMs: 60_000,
    propagationMs: 1_000,
  }).ensure();
  const token = await client.request<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${names.serviceAccount}/token`,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  });
  return token.status.token;
}

/**
 * Waits for the first admission pod to be ready, then points the webhooks at it (the API server
 * cannot reach a Service here) once the certificate manager has published the caBundle.
 */
export async function routeWebhooksToPod(client: ApiClient, names: ResourceNames, pods: readonly Pod[]): Promise<void> {
  const admission = pods.find((p) => p.role === "admission") as Pod;
  await eventually(() => fetchStatus(`https://127.0.0.1:${admission.port}/readyz`), {
    what: "admission readiness",
    timeoutMs: 60_000,
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n${podOutput(pods)}`);
  });
  for (const kind of ["mutating", "validating"]) {
    const path = `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${names.webhookConfiguration}`;
    // The certificate manager publishes the caBundle after it stores the Secret the admission role serves from.
    const config = await eventually(
      async () => {
        const current = await client.request<{
          webhooks: { clientConfig: { service?: { path?: string }; url?: string; caBundle?: string } }[];
        }>({ path });
        return current.webhooks.every((webhook) => webhook.clientConfig.caBundle) ? current : undefined;
      },
      { what: `the ${kind} caBundle`, timeoutMs: 30_000 },
    );
    for (const webhook of config.webhooks) {
      expect(webhook.clientConfig.caBundle, "the certificate manager published the caBundle").toBeTruthy();
      webhook.clientConfig.url = `https://127.0.0.1:${admission.port}${webhook.clientConfig.service?.path ?? ""}`;
      delete webhook.clientConfig.service;
    }
    await client.request({ method: "PUT", path, body: config });
  }
}

/** The hello-capstan template's mutation and validation, through the API server. */
export async function expectAdmission(client: ApiClient, watchedNamespace: string, suffix: string): Promise<void> {
  const configMaps = `/api/v1/namespaces/${watchedNamespace}/configmaps`;
  const created = await eventually(
    async () => {
      const cm = await client.request<{ metadata: { labels?: Record<string, string> } }>({
        method: "POST",
        path: configMaps,
        query: { dryRun: "All" },
        body: { metadata: { name: `probe-${suffix}` } },
      });
      return cm.metadata.labels?.["hello.capstan.dev/seen"] ? cm : undefined;
    },
    { what: "the admission process to mutate" },
  );
  expect(created.metadata.labels?.["hello.capstan.dev/seen"]).toBe("true");
  await expect(
    client.request({
      method: "POST",
      path: configMaps,
      query: { dryRun: "All" },
      body: { metadata: { name: `pw-${suffix}` }, data: { db_password: "x" } },
    }),
  ).rejects.toThrow(/db_password/);
}

/** One of the controller pods holds the Lease. */
export async function expectControllerLeader(
  client: ApiClient,
  namespace: string,
  names: ResourceNames,
  pods: readonly Pod[],
): Promise<void> {
  const lease = await eventually(
    async () => {
      const l = await client.request<{ spec: { holderIdentity?: string } }>({
        path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${names.lease}`,
      });
      return l.spec.holderIdentity ? l : undefined;
    },
    { what: "a controller to take the Lease" },
  );
  const controllers = pods.filter((p) => p.role === "controller").map((p) => p.name);
  expect(controllers.some((name) => lease.spec.holderIdentity?.startsWith(name))).toBe(true);
}

/**
 * Creates a ConfigMap labelled `remember-me` and waits for the controller's Watch to store `expected`
 * under `hello-capstan/seen-<name>` in the module's Store.
 */
export async function expectWatchWritesStore(
  client: ApiClient,
  namespace: string,
  watchedNamespace: string,
  suffix: string,
  expected: string,
  pods: readonly Pod[],
): Promise<void> {
  const configMaps = `/api/v1/namespaces/${watchedNamespace}/configmaps`;
  const remembered = `remember-${suffix}`;
  await client.request({
    method: "POST",
    path: configMaps,
    body: { metadata: { name: remembered, labels: { "remember-me": "yes" } } },
  });
  await eventually(
    async () => {
      const shards = await client.request<{ items: { data?: Record<string, string> }[] }>({
        path: `/apis/capstan.dev/v1/namespaces/${namespace}/capstanstores`,
      });
      return shards.items.some((s) => s.data?.[`hello-capstan/seen-${remembered}`] === expected) ? true : undefined;
    },
    { what: "the controller's Watch to write the Store" },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${podOutput(pods)}`);
  });
  await client.request({ method: "DELETE", path: `${configMaps}/${remembered}` });
}

export async function fetchStatus(url: string): Promise<true | undefined> {
  const { request } = await import("node:https");
  return new Promise((resolve) => {
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? true : undefined);
    });
    req.once("error", () => resolve(undefined));
    req.end();
  });
}
