import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../src/k8s/api-client.ts";
import type { StoreShardObject } from "../../src/store/crd.ts";
import { installStoreCrd } from "../../src/store/install.ts";
import { STORE_LABEL } from "../../src/store/shard-api.ts";
import { PrivatePlane } from "../integration/informer/private-plane.ts";
import { fillValue, StoreProcess } from "../integration/store/store-processes.ts";
import { eventually } from "../support/cluster.ts";

// `npm run soak`: splits cut short by SIGKILL. Each round a process fills the store with 5 KB values
// (setItemAndWait, so every acknowledged key must survive) and is killed at a random moment, often
// in the middle of a split; a second process then writes small keys everywhere. No shard may stay
// sealed, every acknowledged key must be stored with its value, and the second replica must see
// what the server holds.
const ROUNDS = 10;
const VALUE_BYTES = 5 * 1024;
let plane: PrivatePlane;
let client: ApiClient;
const namespace = "store-soak";

beforeAll(async () => {
  plane = await PrivatePlane.start();
  client = await plane.client();
  await installStoreCrd(client);
  await client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: namespace } } });
}, 180_000);

afterAll(async () => {
  await client?.close();
  await plane?.stop();
});

async function shards(): Promise<StoreShardObject[]> {
  const list = await client.request<{ items: StoreShardObject[] }>({
    path: `/apis/capstan.dev/v1/namespaces/${namespace}/capstanstores`,
    query: { labelSelector: `${STORE_LABEL}=soak` },
  });
  return list.items;
}

describe("Store soak: splits interrupted by SIGKILL", () => {
  it(`loses no acknowledged write and leaves no shard sealed, ${ROUNDS} rounds`, async () => {
    const start = () => StoreProcess.start({ kubeconfig: plane.state.kubeconfig, namespace, name: "soak" });
    const acked = new Set<string>();
    let interrupted = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const filler = await start();
      filler.child.on("message", (reply: { acked?: string }) => {
        if (reply.acked) acked.add(reply.acked);
      });
      filler.child.send({ do: "fillAcked", prefix: `a${round}`, count: 600, valueBytes: VALUE_BYTES });
      const killAfterMs = 300 + Math.floor(Math.random() * 2_500);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      await filler.kill();
      const sealedAtKill = (await shards()).filter((shard) => shard.state === "sealed").length;
      interrupted += sealedAtKill > 0 ? 1 : 0;

      const writer = await start();
      await writer.ask({ do: "fill", prefix: `b${round}`, count: 1_000, valueBytes: 16 });
      const objects = await shards();
      const sealed = objects.filter((shard) => shard.state === "sealed").map((shard) => shard.metadata?.name);
      const stored: Record<string, string> = Object.assign(
        {},
        ...objects.filter((shard) => shard.state !== "split").map((shard) => shard.data ?? {}),
      );
      const lost = [...acked].filter((key) => stored[`bench/${key}`] !== fillValue(key, VALUE_BYTES));
      const prefixes = Array.from({ length: round }, (_, i) => [`a${i + 1}-`, `b${i + 1}-`]).flat();
      const onServer = Object.keys(stored).filter((entry) => prefixes.some((p) => entry.startsWith(`bench/${p}`)));
      await eventually(async () => {
        const reply = await writer.ask({ do: "count", prefixes });
        return "counted" in reply && reply.counted === onServer.length ? true : undefined;
      });
      await writer.stop();
      console.log(
        `[store soak] round ${round}: killed after ${killAfterMs} ms (${sealedAtKill} shards left sealed) with ${acked.size} keys acknowledged so far; ${objects.length} shards (${objects.filter((s) => s.state === "split").length} split, ${sealed.length} sealed); lost ${lost.length}`,
      );
      expect(sealed).toEqual([]);
      expect(lost).toEqual([]);
    }
    console.log(`[store soak] ${interrupted} of ${ROUNDS} kills left a split half done`);
  }, 600_000);
});
