import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventRecorder } from "../../../src/controller/event-recorder.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { createConfigMap } from "../informer/helpers.ts";

let client: ApiClient;
let ns: string;

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "ctl-events");
});
afterAll(async () => {
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` });
  await client.close();
});

interface CoreEvent {
  reason?: string;
  count?: number;
  message?: string;
  involvedObject?: { uid?: string; name?: string };
}

describe("EventRecorder", () => {
  it("aggregates repeats into one Event's count and throttles a flood per object", async () => {
    const object = await createConfigMap(client, ns, "subject");
    const recorder = new EventRecorder(client, { burst: 5, refillMs: 60_000 });
    const note = {
      type: "Warning",
      reason: "SyncFailed",
      reportingComponent: "capstan-test",
      reportingInstance: "unit",
    };
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++)
      outcomes.push(await recorder.record(object, { ...note, message: "backend unavailable" }));
    for (let i = 0; i < 4; i++) outcomes.push(await recorder.record(object, { ...note, message: `distinct ${i}` }));
    expect(outcomes).toEqual(["created", "aggregated", "aggregated", "created", "created", "throttled", "throttled"]);

    const other: KubernetesObject = await createConfigMap(client, ns, "other");
    expect(await recorder.record(other, { ...note, message: "not throttled by the first object's flood" })).toBe(
      "created",
    );

    const list = await client.request<{ items: CoreEvent[] }>({ path: `/api/v1/namespaces/${ns}/events` });
    const about = list.items.filter((e) => e.involvedObject?.uid === object.metadata?.uid && e.reason === "SyncFailed");
    expect(about).toHaveLength(3);
    expect(about.find((e) => e.message === "backend unavailable")?.count).toBe(3);
  });
});
