// `npm run demo`: starts the local control plane, runs examples/hello in `capstan dev`, applies
// examples/hello/samples.yaml and prints what capstan did with each object.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { ApiClient } from "../src/k8s/api-client.ts";
import { ConflictError } from "../src/k8s/errors.ts";
import { freePort } from "../src/testing/control-plane/ports.ts";

interface DemoObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
}

const root = fileURLToPath(new URL("..", import.meta.url));
const example = join(root, "examples", "hello");
const say = (line: string) => process.stdout.write(`${line}\n`);

function capstan(args: string[], cwd = root, stdio: "pipe" | "inherit" = "pipe"): ChildProcess {
  return spawn(process.execPath, [join(root, "bin/capstan.js"), ...args], {
    cwd,
    stdio: ["ignore", stdio, stdio === "pipe" ? "pipe" : "inherit"],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
  });
}

function finished(child: ChildProcess): Promise<string> {
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => process.stderr.write(c));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exited with ${code}`)))),
  );
}

async function main(): Promise<void> {
  say("1. Starting the local control plane (the first run builds it from source)…");
  const kubeconfig = await finished(capstan(["cluster", "up"]));
  process.env.KUBECONFIG = kubeconfig;
  const client = await ApiClient.fromKubeconfig({ kubeconfig });

  const link = join(example, "node_modules", "capstan");
  if (!existsSync(link)) {
    mkdirSync(join(example, "node_modules"), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(root, link);
  }
  await client
    .request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: "demo" } } })
    .catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });

  say("2. Running examples/hello with `capstan dev`…");
  const port = await freePort();
  const dev = capstan(["dev", "--port", String(port), "--no-watch"], example, "inherit");
  try {
    await waitForWebhooks(client);
    say("3. Applying examples/hello/samples.yaml:");
    const samples = parseAllDocuments(readFileSync(join(example, "samples.yaml"), "utf8")).map(
      (d) => d.toJSON() as DemoObject,
    );
    for (const object of samples) say(`   ${await apply(client, object)}`);
    const counted = await waitForCount(client);
    say(`   Watch: the Store now says it has seen ${counted} ConfigMap(s) labelled count-me`);
  } finally {
    const exited = new Promise((resolve) => dev.once("exit", resolve));
    dev.kill("SIGINT");
    await exited;
    await client.close();
  }
  say("4. Done: `capstan dev` stopped and removed its webhooks; the cluster keeps running.");
  say(`   export KUBECONFIG=${kubeconfig}   # explore it; \`npx capstan cluster down\` stops it`);
}

async function apply(client: ApiClient, object: DemoObject): Promise<string> {
  const { kind, metadata } = object;
  const base = kind === "Pod" ? "pods" : "configmaps";
  const path = `/api/v1/namespaces/${metadata.namespace}/${base}/${metadata.name}`;
  await client.request({ method: "DELETE", path }).catch(() => {});
  try {
    const created = await client.request<DemoObject>({
      method: "PATCH",
      path,
      query: { fieldManager: "capstan-demo", force: true },
      contentType: "application/apply-patch+yaml",
      body: object,
    });
    const labels = Object.entries(created.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);
    return `${kind} ${metadata.name}: admitted${labels.length ? ` with labels ${labels.join(", ")}` : ""}`;
  } catch (error) {
    return `${kind} ${metadata.name}: denied: ${error instanceof Error ? error.message.replace(/^.*?: /, "") : String(error)}`;
  }
}

async function waitForWebhooks(client: ApiClient): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const probe = await client
      .request<DemoObject>({
        method: "POST",
        path: "/api/v1/namespaces/demo/configmaps",
        query: { dryRun: "All" },
        body: { metadata: { name: "probe" } },
      })
      .catch(() => undefined);
    if (probe?.metadata.labels?.["capstan.dev/greeted"]) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the example module did not start within 120 s");
}

async function waitForCount(client: ApiClient): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const shards = await client.request<{ items: { data?: Record<string, string> }[] }>({
      path: "/apis/capstan.dev/v1/namespaces/capstan-system/capstanstores",
    });
    for (const shard of shards.items) {
      for (const [key, value] of Object.entries(shard.data ?? {})) if (key.endsWith("seen")) return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return "0 (the Watch did not run)";
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
