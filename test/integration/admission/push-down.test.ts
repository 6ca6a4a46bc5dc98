import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { serveModule, type TestModule } from "./support.ts";

interface PodObject {
  metadata: { name: string; labels?: Record<string, string> };
}

let client: ApiClient;
let wanted: string;
let other: string;
let served: TestModule;

const pods = (ns: string) => `/api/v1/namespaces/${ns}/pods`;
const pod = (name: string, labels?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { containers: [{ name: "c", image: "registry.invalid/none:1" }] },
});

beforeAll(async () => {
  client = await adminClient();
  wanted = await freshNamespace(client, "adm-push-a");
  other = await freshNamespace(client, "adm-push-b");
  const cap = new Capability({ name: "pushdown", description: "push-down acceptance" });
  cap
    .When(a.Pod)
    .IsCreated()
    .WithLabel("team", "x")
    .InNamespace(wanted)
    .Mutate((req) => {
      req.SetLabel("mutated", "yes");
    });
  served = await serveModule(client, [wanted, other], [cap], {
    probe: async () => {
      const probe = await client.request<PodObject>({
        method: "POST",
        path: pods(wanted),
        query: { dryRun: "All" },
        body: pod("probe", { team: "x" }),
      });
      return probe.metadata.labels?.mutated === "yes";
    },
  });
});
afterAll(async () => {
  await served?.stop();
  for (const ns of [wanted, other])
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client.close();
});

describe("filter push-down", () => {
  it("puts the label in an objectSelector and the rest in a CEL matchCondition", async () => {
    const config = await client.request<{ webhooks: Record<string, unknown>[] }>({
      path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${served.dev.name}`,
    });
    const [webhook] = config.webhooks;
    expect(webhook?.objectSelector).toEqual({ matchExpressions: [{ key: "team", operator: "In", values: ["x"] }] });
    expect(JSON.stringify(webhook?.matchConditions)).toContain(`request.namespace in ['${wanted}']`);
  });

  it("sends zero requests for 200 pods without the label or in another namespace", async () => {
    const before = served.requests();
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const body = i % 2 === 0 ? pod(`plain-${i}`) : pod(`elsewhere-${i}`, { team: "x" });
      creates.push(client.request({ method: "POST", path: pods(i % 2 === 0 ? wanted : other), body }));
      if (creates.length === 20) await Promise.all(creates.splice(0));
    }
    await Promise.all(creates);
    expect(served.requests() - before).toBe(0);

    const labelled = await client.request<PodObject>({
      method: "POST",
      path: pods(wanted),
      body: pod("wanted", { team: "x" }),
    });
    expect(labelled.metadata.labels?.mutated).toBe("yes");
    expect(served.requests() - before).toBe(1);
  });
});
