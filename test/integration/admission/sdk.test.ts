import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { setSdkClient, writeEvent } from "../../../src/sdk/index.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { type ConfigMapObject, configMap, configMaps } from "./support.ts";

let client: ApiClient;
let ns: string;
beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "adm-sdk");
  setSdkClient(client);
});
afterAll(async () => {
  setSdkClient(undefined);
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client.close();
});

describe("writeEvent", () => {
  it("records an Event about the object in its namespace", async () => {
    const cm = await client.request<ConfigMapObject & { metadata: { uid: string } }>({
      method: "POST",
      path: configMaps(ns),
      body: configMap("evented"),
    });
    await writeEvent(
      cm,
      { message: "it happened" },
      {
        eventType: "Normal",
        eventReason: "Tested",
        reportingComponent: "capstan-test",
        reportingInstance: "test-1",
      },
    );
    const event = await eventually(async () => {
      const list = await client.request<{
        items: { message: string; reason: string; involvedObject: { uid: string } }[];
      }>({
        path: `/api/v1/namespaces/${ns}/events`,
      });
      return list.items.find((item) => item.involvedObject.uid === cm.metadata.uid);
    });
    expect(event).toMatchObject({ message: "it happened", reason: "Tested" });
  });
});
