import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { containerOf, literalEnv, projectedChunkFiles } from "../../../src/build/pod-spec.ts";
import { resourceNames } from "../../../src/contract/resource-names.ts";
import { RUNTIME_ENTRY, RuntimeEnv } from "../../../src/contract/runtime-contract.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import { type ScratchModule, scratchModule } from "../build/module-fixture.ts";
import {
  expectAdmission,
  expectControllerLeader,
  expectWatchWritesStore,
  installModule,
  type Pod,
  routeWebhooksToPod,
} from "./deployed-pods.ts";

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
    const token = await installModule(client, namespace, names, objects, watchedNamespace);
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
        users: [{ name: "sa", user: { token } }],
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

    await routeWebhooksToPod(client, names, pods);
    const suffix = namespace.slice(-8);
    await expectAdmission(client, watchedNamespace, suffix);
    await expectControllerLeader(client, namespace, names, pods);
    await expectWatchWritesStore(client, namespace, watchedNamespace, suffix, "yes", pods);
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
