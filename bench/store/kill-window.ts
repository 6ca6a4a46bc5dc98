// What a process killed before its flush loses: a child setItem()s a key every --interval-ms, is
// SIGKILLed after --run-ms, and we count which of the keys it had written never reached the API
// server, and how old the oldest lost one was at the kill.
//   node bench/store/kill-window.ts [--interval-ms 2] [--run-ms 3000] [--rounds 5]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { ApiClient } from "../../src/k8s/api-client.ts";
import type { StoreShardObject } from "../../src/store/crd.ts";
import { installStoreCrd } from "../../src/store/install.ts";
import { StoreProcess } from "../../test/integration/store/store-processes.ts";

const { values } = parseArgs({
  options: {
    "interval-ms": { type: "string", default: "2" },
    "run-ms": { type: "string", default: "3000" },
    rounds: { type: "string", default: "5" },
    kubeconfig: { type: "string", default: `${process.env.HOME}/.local/state/capstan/cluster/kubeconfig` },
  },
});
const kubeconfig = values.kubeconfig;
const client = await ApiClient.fromKubeconfig({ kubeconfig });
await installStoreCrd(client);
const namespace = `store-kill-${randomBytes(3).toString("hex")}`;
await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: namespace } } });
try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    const name = `kill${round}`;
    const writer = await StoreProcess.start({ kubeconfig, namespace, name });
    const written: { key: string; at: number }[] = [];
    writer.child.on("message", (m: { streamed?: number; at?: number }) => {
      if (m.streamed !== undefined && m.at !== undefined) written.push({ key: `bench/s-${m.streamed}`, at: m.at });
    });
    writer.child.send({ do: "stream", prefix: "s", intervalMs: Number(values["interval-ms"]) });
    await new Promise((resolve) => setTimeout(resolve, Number(values["run-ms"])));
    const killedAt = Date.now();
    await writer.kill();
    const list = await client.request<{ items: StoreShardObject[] }>({
      path: `/apis/capstan.dev/v1/namespaces/${namespace}/capstanstores`,
      query: { labelSelector: `capstan.dev/store=${name}` },
    });
    const stored = new Set(list.items.flatMap((s) => Object.keys(s.data ?? {})));
    const lost = written.filter((w) => !stored.has(w.key));
    console.log(
      JSON.stringify({
        round,
        written: written.length,
        lost: lost.length,
        oldestLostAgeMs: lost.length ? killedAt - Math.min(...lost.map((l) => l.at)) : 0,
      }),
    );
  }
} finally {
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` });
  await client.close();
}
