import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { configMap, configMaps, requestWithHeaders, serveModule, type TestModule, warningTexts } from "./support.ts";

let client: ApiClient;
let ns: string;
let served: TestModule;

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "adm-validate");
  const cap = new Capability({ name: "validator", description: "validation acceptance" });
  const { When } = cap;
  When(a.ConfigMap)
    .IsCreated()
    .WithName("allowed")
    .Validate((req) => req.Approve(["looks fine", "but watch out"]));
  When(a.ConfigMap)
    .IsCreated()
    .WithName("denied")
    .Validate((req) => req.Deny("name denied is not welcome", 418, ["denial warning"]));
  When(a.ConfigMap)
    .IsCreated()
    .WithName("denied-default")
    .Validate((req) => req.Deny());
  When(a.ConfigMap)
    .IsCreated()
    .WithName("thrown")
    .Validate(() => {
      throw new Error("validator exploded");
    });
  served = await serveModule(client, [ns], [cap], { config: { onError: "ignore" } });
});
afterAll(async () => {
  await served?.stop();
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client.close();
});

describe("Validate", () => {
  it("allows with warnings that reach the client as Warning headers", async () => {
    const response = await requestWithHeaders(client, {
      method: "POST",
      path: configMaps(ns),
      body: configMap("allowed"),
    });
    expect(response.status).toBe(201);
    expect(warningTexts(response.headers)).toEqual(["looks fine", "but watch out"]);
  });

  it("denies with the callback's message, code and warnings", async () => {
    const response = await requestWithHeaders(client, {
      method: "POST",
      path: configMaps(ns),
      body: configMap("denied"),
    });
    expect(response.status).toBe(418);
    expect(response.body.message).toContain("name denied is not welcome");
    expect(warningTexts(response.headers)).toEqual(["denial warning"]);
  });

  it("denies with Pepr's default message and code 400", async () => {
    const response = await requestWithHeaders(client, {
      method: "POST",
      path: configMaps(ns),
      body: configMap("denied-default"),
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(`Validation failed for ConfigMap/denied-default in ${ns} namespace.`);
  });

  it("denies when a Validate callback throws, even with onError ignore", async () => {
    const response = await requestWithHeaders(client, {
      method: "POST",
      path: configMaps(ns),
      body: configMap("thrown"),
    });
    expect(response.status).toBe(500);
    expect(response.body.message).toContain("Action failed with error: validator exploded");
  });
});
