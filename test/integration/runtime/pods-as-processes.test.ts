import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { applyAll } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { containerOf, literalEnv, projectedChunkFiles } from "../../../src/build/pod-spec.ts";
import { resourceNames } from "../../../src/contract/resource-names.ts";
import { RUNTIME_ENTRY, RuntimeEnv } from "../../../src/contract/runtime-contract.ts";
import { ConflictError } from "../../../src/k8s/errors.ts";
import { WebhookCertificates } from "../../../src/runtime/webhook-certificates.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import { eventually } from "../../support/cluster.ts";
import { type ScratchModule, scratchModule } from "../build/module-fixture.ts";

// The local cluster has no kubelet, so this runs each generated Deployment's container (its exact
// command, arguments, environment and mounted module code) as host processes, authenticated as the
// generated ServiceAccount: proof that manifests, RBAC and the runtime entry agree.

const watchedNamespace = "hello-capstan";
const storeWatch = `
import { a } from "capstan";
import { HelloCapstan } from "./hello-capstan.ts";

HelloCapstan.When(a.ConfigMap).IsCreated().InNamespace("${watchedNamespace}").WithLabel("remember-me")
  .Watch(async (cm) => {
    await HelloCapstan.Store.setItemAndWait(\`seen-\${cm.metadata?.name}\`, "yes");
  });
`;

interface Pod {
  readonly role: string;
  readonly name: string;
  readonly port: number;
  readonly process: ChildProcess;
  output: string;
}

const pods: Pod[] = [];
let module: ScratchModule | undefined;

afterAll(async () => {
  for (const pod of pods) pod.process.kill("SIGKILL");
  if (module) {
    const name = resourceNames(module.uuid, "capstan").webhookConfiguration;
    for (const kind of ["mutating", "validating"]) {
      await module.client
        .request({
          method: "DELETE",
          path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}`,
        })
        .catch(() => {});
    }
    await module.client.close();
  }
});

describe("generated Deployments run as host processes", () => {
  it("serve admission through the API server, elect one controller leader and reconcile with the generated RBAC", async () => {
    module = await scratchModule("pods", {
      beforeBuild: (dir) => {
        writeFileSync(join(dir, "capabilities", "remember.ts"), storeWatch);
        const entry = join(dir, "capstan.ts");
        writeFileSync(entry, `import "./capabilities/remember.ts";\n${readFileSync(entry, "utf8")}`);
      },
    });
    const { client, namespace, objects, moduleDir, uuid } = module;
    const names = resourceNames(uuid, "capstan");
    await client
      .request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: watchedNamespace } } })
      .catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
    await applyAll(client, objects);

    // A certificate valid for the Service and for 127.0.0.1, made before the pods start (as an
    // installer or cert-manager would); the runtime finds it and serves it.
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
    const kubeconfig = join(moduleDir, ".capstan", "sa-kubeconfig");
    mkdirSync(join(moduleDir, ".capstan"), { recursive: true });
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "sa",
        clusters: [
          {
            name: "c",
            cluster: {
              server: client.connection.server,
              "certificate-authority-data": Buffer.from(String(client.connection.tls.ca)).toString("base64"),
            },
          },
        ],
        users: [{ name: "sa", user: { token: token.status.token } }],
        contexts: [{ name: "sa", context: { cluster: "c", user: "sa" } }],
      }),
    );

    const deployments = objects.filter((o): o is KubeObject => o.kind === "Deployment");
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      names.deployment("admission"),
      names.deployment("controller"),
    ]);
    for (const deployment of deployments) {
      for (const replica of [0, 1]) pods.push(await startPod(deployment, replica, objects, moduleDir, kubeconfig));
    }

    // The API server cannot reach a Service here: point the webhooks at the first admission process.
    const admission = pods.find((p) => p.role === "admission") as Pod;
    await eventually(() => fetchStatus(`https://127.0.0.1:${admission.port}/readyz`), {
      what: "admission readiness",
      timeoutMs: 60_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${pods.map((p) => `--- ${p.name}\n${p.output}`).join("\n")}`);
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

    const configMaps = `/api/v1/namespaces/${watchedNamespace}/configmaps`;
    const suffix = namespace.slice(-8);
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
        return shards.items.some((s) => s.data?.[`hello-capstan/seen-${remembered}`] === "yes") ? true : undefined;
      },
      { what: `the controller's Watch to write the Store:\n${pods.map((p) => p.output).join("\n")}` },
    );
    await client.request({ method: "DELETE", path: `${configMaps}/${remembered}` });
  });
});

async function startPod(
  deployment: KubeObject,
  replica: number,
  objects: readonly KubeObject[],
  moduleDir: string,
  kubeconfig: string,
): Promise<Pod> {
  const env = literalEnv(deployment);
  const role = env[RuntimeEnv.role] ?? "unknown";
  const name = `${deployment.metadata.name}-${replica}`;
  const chunks = join(moduleDir, ".capstan", name, "chunks");
  mkdirSync(chunks, { recursive: true });
  for (const [file, bytes] of projectedChunkFiles(deployment, objects)) writeFileSync(join(chunks, file), bytes);
  const [, ...nodeArgs] = containerOf(deployment).command;
  const entryAt = nodeArgs.indexOf(RUNTIME_ENTRY);
  expect(entryAt, "the container runs the runtime entry").toBeGreaterThanOrEqual(0);
  const installedEntry = join(moduleDir, "node_modules", "capstan", "dist", "runtime", "main.js");
  const args = nodeArgs.map((arg) => (arg === RUNTIME_ENTRY ? installedEntry : arg));
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: moduleDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...env,
      KUBECONFIG: kubeconfig,
      [RuntimeEnv.podName]: name,
      [RuntimeEnv.moduleDir]: chunks,
      [RuntimeEnv.moduleWorkDir]: join(moduleDir, ".capstan", name, "module"),
      [RuntimeEnv.servePort]: String(port),
    },
  });
  const pod: Pod = { role, name, port, process: child, output: "" };
  child.stdout?.on("data", (c: Buffer) => (pod.output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (pod.output += c.toString()));
  return pod;
}

async function fetchStatus(url: string): Promise<true | undefined> {
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
