import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { OnError } from "../../../src/model/module-config.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { configMap, configMaps, requestWithHeaders, serveModule, type TestModule, warningTexts } from "./support.ts";

const TIMEOUT_SECONDS = 3;
const policies: OnError[] = ["reject", "audit", "ignore"];
let client: ApiClient;
const served = new Map<OnError, { ns: string; module: TestModule }>();

function failingCapability(): Capability {
  const cap = new Capability({ name: "failing", description: "callbacks that throw or hang" });
  const { When } = cap;
  When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^(throws|sleeps)$/)
    .Mutate(async (req) => {
      req.SetLabel("partial", "yes");
      if (req.Raw.metadata?.name === "throws") throw new Error("boom");
      await sleep(TIMEOUT_SECONDS * 1000 + 5000);
    });
  When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^(throws|sleeps)$/)
    .Mutate((req) => {
      req.SetLabel("after", "yes");
    });
  When(a.ConfigMap)
    .IsCreated()
    .WithName("slow-validate")
    .Validate(async (req) => {
      await sleep(TIMEOUT_SECONDS * 1000 + 5000);
      return req.Approve();
    });
  return cap;
}

beforeAll(async () => {
  client = await adminClient();
  await Promise.all(
    policies.map(async (onError) => {
      const ns = await freshNamespace(client, `adm-${onError}`);
      const module = await serveModule(client, [ns], [failingCapability()], {
        config: { onError, webhookTimeout: TIMEOUT_SECONDS },
      });
      served.set(onError, { ns, module });
    }),
  );
});
afterAll(async () => {
  for (const { ns, module } of served.values()) {
    await module.stop();
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  }
  await client.close();
});

/**
 * The webhook answered before timeoutSeconds: capstan's own decision lines for the object say so,
 * and the API server did not report a failed webhook call (under Ignore a timeout would pass silently,
 * so the callers also check for capstan's own answer: a label or a warning).
 */
function expectAnsweredInTime(onError: OnError, name: string, response: { body: Record<string, unknown> }) {
  const { module } = served.get(onError) as { module: TestModule };
  const decisions = module.lines.filter((line) => line.msg === "admission decision" && line.name === name);
  expect(decisions.length).toBeGreaterThan(0);
  for (const decision of decisions) expect(decision.ms as number).toBeLessThan(TIMEOUT_SECONDS * 1000);
  expect(String(response.body.message ?? "")).not.toMatch(/failed calling webhook|deadline exceeded/i);
}

async function create(onError: OnError, name: string) {
  const { ns } = served.get(onError) as { ns: string };
  return requestWithHeaders(client, { method: "POST", path: configMaps(ns), body: configMap(name) });
}

describe("onError reject", () => {
  it("denies a throwing Mutate, naming capability and binding, and admits nothing", async () => {
    const response = await create("reject", "throws");
    expect(response.status).toBe(500);
    expect(response.body.message).toMatch(/failing\/0-mutate-configmap.*Action failed: boom.*rejects on error/);
  });

  it("denies a Mutate that sleeps past the timeout before timeoutSeconds, not as a webhook timeout", async () => {
    const response = await create("reject", "sleeps");
    expectAnsweredInTime("reject", "sleeps", response);
    expect(response.status).toBe(500);
    expect(response.body.message).toMatch(/failing\/0-mutate-configmap did not finish within its share/);
    expect(String(response.body.message)).not.toMatch(
      /deadline exceeded|context deadline|timeout: request did not complete/i,
    );
  });

  it("denies a Validate that sleeps past the timeout", async () => {
    const response = await create("reject", "slow-validate");
    expectAnsweredInTime("reject", "slow-validate", response);
    expect(response.status).toBe(500);
    expect(response.body.message).toMatch(/failing\/2-validate-configmap did not finish/);
  });
});

describe.each(["audit", "ignore"] as const)("onError %s", (onError) => {
  it("admits without the failing binding's changes, runs the next binding, and warns", async () => {
    const response = await create(onError, "throws");
    expect(response.status).toBe(201);
    const metadata = response.body.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
    expect(metadata.labels).toEqual({ after: "yes" });
    // A Pepr module (`pepr` key): as in Pepr, the capability's last binding, which succeeded, decides.
    expect(Object.entries(metadata.annotations).find(([key]) => key.endsWith(".pepr.dev/failing"))?.[1]).toBe(
      "succeeded",
    );
    expect(warningTexts(response.headers)).toEqual(["Action failed: boom"]);
  });

  it("allows a Mutate that sleeps past the timeout before timeoutSeconds", async () => {
    const response = await create(onError, "sleeps");
    expectAnsweredInTime(onError, "sleeps", response);
    expect(response.status).toBe(201);
    expect((response.body.metadata as { labels: Record<string, string> }).labels).toEqual({ after: "yes" });
  });

  it("allows a Validate that sleeps past the timeout, with a warning", async () => {
    const response = await create(onError, "slow-validate");
    expectAnsweredInTime(onError, "slow-validate", response);
    expect(response.status).toBe(201);
    expect(warningTexts(response.headers).join()).toMatch(/did not finish within/);
  });
});
