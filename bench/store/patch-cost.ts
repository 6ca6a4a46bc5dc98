// What one store patch costs the API server, by CRD schema of `data` and entries in the shard.
// Sequential patches of 30 existing keys each; CPU of the kube-apiserver process from /proc.
//   node bench/store/patch-cost.ts --apiserver-pid PID [--kubeconfig PATH] [--patches 40] [--repeat 2]
// Needs a cluster nothing else uses (the CPU is the whole process's). Creates CRDs in *.bench.capstan.dev
// and deletes them at the end.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApiClient } from "../../src/k8s/api-client.ts";

const { values } = parseArgs({
  options: {
    "apiserver-pid": { type: "string" },
    kubeconfig: { type: "string", default: `${process.env.HOME}/.local/state/capstan/cluster/kubeconfig` },
    patches: { type: "string", default: "40" },
    repeat: { type: "string", default: "2" },
  },
});
const pid = Number(values["apiserver-pid"]);
if (!pid) throw new Error("--apiserver-pid is required (the kube-apiserver process to measure)");
const patches = Number(values.patches);

/** Milliseconds of CPU the API server has used (utime + stime, 10 ms ticks). */
function apiserverCpuMs(): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const schemas: Record<string, object> = {
  "typed values (additionalProperties: string)": {
    type: "object",
    additionalProperties: { type: "string" },
    "x-kubernetes-map-type": "atomic",
  },
  "untyped values (preserve-unknown-fields)": {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
    "x-kubernetes-map-type": "atomic",
  },
  "untyped, granular map (a managed field per key)": { type: "object", "x-kubernetes-preserve-unknown-fields": true },
};

const client = await ApiClient.fromKubeconfig({ kubeconfig: values.kubeconfig });
const groups: string[] = [];
try {
  for (let round = 0; round < Number(values.repeat); round++) {
    for (const [label, dataSchema] of Object.entries(schemas)) {
      const group = `s${Object.keys(schemas).indexOf(label)}.bench.capstan.dev`;
      if (!groups.includes(group)) groups.push(group);
      await client.request({
        method: "PATCH",
        path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.${group}`,
        query: { fieldManager: "bench", force: true },
        contentType: "application/apply-patch+yaml",
        body: {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: `things.${group}` },
          spec: {
            group,
            scope: "Namespaced",
            names: { plural: "things", singular: "thing", kind: "Thing", listKind: "ThingList" },
            versions: [
              {
                name: "v1",
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: "object", properties: { data: dataSchema } } },
              },
            ],
          },
        },
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const collection = `/apis/${group}/v1/namespaces/default/things`;
      for (const size of [1, 1000, 3000]) {
        const name = `shard-${size}`;
        const data = Object.fromEntries(Array.from({ length: size }, (_, i) => [`cap/key-${i}`, `${Date.now()}${i}`]));
        await client.request({ method: "DELETE", path: `${collection}/${name}` }).catch(() => undefined);
        await client.request({
          method: "POST",
          path: collection,
          body: { apiVersion: `${group}/v1`, kind: "Thing", metadata: { name }, data },
        });
        const cpuBefore = apiserverCpuMs();
        const started = Date.now();
        for (let i = 0; i < patches; i++) {
          const operations = Array.from({ length: 30 }, (_, j) => ({
            op: "add",
            path: `/data/cap~1key-${(i * 30 + j) % size}`,
            value: String(Date.now()),
          }));
          await client.request({
            method: "PATCH",
            path: `${collection}/${name}`,
            body: operations,
            contentType: "application/json-patch+json",
          });
        }
        console.log(
          JSON.stringify({
            schema: label,
            entries: size,
            apiserverCpuMsPerPatch: (apiserverCpuMs() - cpuBefore) / patches,
            wallMsPerPatch: (Date.now() - started) / patches,
          }),
        );
      }
    }
  }
} finally {
  for (const group of groups) {
    await client
      .request({ method: "DELETE", path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.${group}` })
      .catch(() => undefined);
  }
  await client.close();
}
