// One ConfigMap write as its own process, for tests that block the event loop with a synchronous
// child process when kubectl is not installed. Usage:
//   node sync-write.ts <kubeconfig> create|patch|delete <namespace> <name> [data json]
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { configMapPath } from "./helpers.ts";

const [kubeconfig, verb, namespace, name, data] = process.argv.slice(2);
if (!kubeconfig || !verb || !namespace || !name)
  throw new Error("usage: sync-write.ts <kubeconfig> <verb> <ns> <name> [data]");
const client = await ApiClient.fromKubeconfig({ kubeconfig });
const body = { metadata: { name }, data: JSON.parse(data ?? "{}") as Record<string, string> };
if (verb === "create") await client.request({ method: "POST", path: configMapPath(namespace), body });
else if (verb === "patch")
  await client.request({
    method: "PATCH",
    path: configMapPath(namespace, name),
    contentType: "application/merge-patch+json",
    body: { data: body.data },
  });
else if (verb === "delete") await client.request({ method: "DELETE", path: configMapPath(namespace, name) });
else throw new Error(`unknown verb ${verb}: use create, patch or delete`);
await client.close();
