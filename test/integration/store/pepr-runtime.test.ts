import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { installPeprStoreCrd } from "../../../src/store/pepr-export.ts";
import { peprStoreKind } from "../../../src/store/pepr-layout.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";

const UUID = "runtime-pepr";
let client: ApiClient;
let namespace: string;
let runtime: ModuleRuntime | undefined;

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  await installPeprStoreCrd(client);
  namespace = await freshNamespace(client, "pepr-runtime");
  await client.request({
    method: "POST",
    path: `/apis/${peprStoreKind.apiVersion}/namespaces/${namespace}/${peprStoreKind.plural}`,
    body: {
      apiVersion: peprStoreKind.apiVersion,
      kind: peprStoreKind.kind,
      metadata: { name: `pepr-${UUID}-store`, namespace, labels: { "pepr.dev-cacheID": "1764842400000" } },
      data: {
        __pepr_do_not_delete__: "k-thx-bye",
        "hello-v2-greeting": "hi",
        "hello-v2-https://example.com/x": "1",
      },
    },
  });
});

afterAll(async () => {
  await runtime?.close();
  await client?.close();
});

describe("a Pepr module's runtime", () => {
  it("starts with the PeprStore's keys in its Store and gives onReady and subscribe Pepr's payload", async () => {
    const hello = new Capability({ name: "hello", description: "" });
    const ready = new Promise<Record<string, string>>((resolve) => hello.Store.onReady(resolve));
    const payloads: Record<string, string>[] = [];
    hello.Store.subscribe((data) => payloads.push({ ...data }));
    // A package.json `pepr` block: Pepr mode.
    const module = new PeprModule({ pepr: { uuid: UUID, onError: "reject" } }, [hello], {
      deferStart: true,
    });
    runtime = await startModuleRuntime({ module, client, role: "controller", namespace });

    // Ready once the runtime has started: the data was imported before anything could read the store.
    expect(hello.Store.getItem("greeting")).toBe("hi");
    expect(hello.Store.getItem("https://example.com/x")).toBe("1");
    expect(await ready).toEqual({ "v2-greeting": "hi", "v2-https://example.com/x": "1" });

    await hello.Store.setItemAndWait("greeting", "hello");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(payloads.at(-1)).toEqual({ "v2-greeting": "hello", "v2-https://example.com/x": "1" });

    const shards = await client.request<{ items: { data?: Record<string, string> }[] }>({
      path: `/apis/capstan.dev/v1/namespaces/${namespace}/capstanstores`,
      query: { labelSelector: `capstan.dev/store=pepr-${UUID}-store` },
    });
    const entries = Object.assign({}, ...shards.items.map((shard) => shard.data));
    expect(entries).toMatchObject({ "hello/greeting": "hello", "hello/https://example.com/x": "1" });
  });
});
