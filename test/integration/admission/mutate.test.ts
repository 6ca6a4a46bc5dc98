import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { type ConfigMapObject, configMap, configMaps, serveModule, type TestModule } from "./support.ts";

let client: ApiClient;
let ns: string;
let served: TestModule;
const deleted: string[] = [];

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "adm-mutate");
  const cap = new Capability({ name: "mutator", description: "mutation acceptance" });
  const { When } = cap;
  When(a.ConfigMap)
    .IsCreated()
    .WithName("on-create")
    .Mutate((req) => {
      req.SetLabel("created", "yes").SetAnnotation("note", "hello");
      req.Merge({ data: { merged: "1" } });
    });
  When(a.ConfigMap)
    .IsUpdated()
    .WithName("on-update")
    .Mutate((req) => {
      req.SetLabel("updated", String(Number(req.OldResource?.metadata?.labels?.updated ?? 0) + 1));
      req.RemoveLabel("drop-me");
      req.RemoveAnnotation("drop-me-too");
    });
  When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithName("on-either")
    .Mutate((req) => {
      req.SetLabel("has-seen", req.HasLabel("has-seen") ? "again" : req.Request.operation.toLowerCase());
    });
  When(a.ConfigMap)
    .IsDeleted()
    .WithName("on-delete")
    .Mutate((req) => {
      deleted.push(`${req.Raw.metadata?.name}:${req.Raw.data?.keep}`);
    });
  When(a.Secret)
    .IsCreated()
    .Mutate((req) => {
      const data = req.Raw.data ?? {};
      req.Raw.data = { ...data, seen: `decoded:${data.password}` };
    });
  served = await serveModule(client, [ns], [cap]);
});
afterAll(async () => {
  await served?.stop();
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client.close();
});

describe("Mutate", () => {
  it("patches on create with the label/annotation helpers and Merge, and leaves the status annotation", async () => {
    const created = await client.request<ConfigMapObject>({
      method: "POST",
      path: configMaps(ns),
      body: configMap("on-create"),
    });
    expect(created.metadata.labels).toMatchObject({ created: "yes" });
    expect(created.metadata.annotations).toMatchObject({
      note: "hello",
      [`${served.dev.engine.module.config.uuid}.pepr.dev/mutator`]: "succeeded",
    });
    expect(created.data).toEqual({ merged: "1" });
  });

  it("patches on update, seeing the old resource, and removes labels and annotations", async () => {
    await client.request({
      method: "POST",
      path: configMaps(ns),
      body: configMap("on-update", { labels: { "drop-me": "x" }, annotations: { "drop-me-too": "y" } }),
    });
    const updated = await client.request<ConfigMapObject>({
      method: "PATCH",
      path: `${configMaps(ns)}/on-update`,
      contentType: "application/merge-patch+json",
      body: { data: { a: "1" } },
    });
    expect(updated.metadata.labels).toEqual({ updated: "1" });
    expect(updated.metadata.annotations?.["drop-me-too"]).toBeUndefined();
  });

  it("patches on create and on update for IsCreatedOrUpdated", async () => {
    const created = await client.request<ConfigMapObject>({
      method: "POST",
      path: configMaps(ns),
      body: configMap("on-either"),
    });
    expect(created.metadata.labels?.["has-seen"]).toBe("create");
    const updated = await client.request<ConfigMapObject>({
      method: "PATCH",
      path: `${configMaps(ns)}/on-either`,
      contentType: "application/merge-patch+json",
      body: { data: { a: "1" } },
    });
    expect(updated.metadata.labels?.["has-seen"]).toBe("again");
  });

  it("runs on delete with the old object", async () => {
    await client.request({ method: "POST", path: configMaps(ns), body: configMap("on-delete", {}, { keep: "me" }) });
    await client.request({ method: "DELETE", path: `${configMaps(ns)}/on-delete` });
    await eventually(async () => (deleted.includes("on-delete:me") ? true : undefined), {
      what: "the delete callback",
    });
  });

  it("decodes Secret data for the callback and re-encodes it", async () => {
    const secret = await client.request<{ data: Record<string, string> }>({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/secrets`,
      body: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s" },
        data: {
          password: Buffer.from("hunter2").toString("base64"),
          binary: Buffer.from([0xff, 0xfe, 0x00]).toString("base64"),
        },
      },
    });
    expect(Buffer.from(secret.data.seen as string, "base64").toString()).toBe("decoded:hunter2");
    expect(Buffer.from(secret.data.password as string, "base64").toString()).toBe("hunter2");
    expect([...Buffer.from(secret.data.binary as string, "base64")]).toEqual([0xff, 0xfe, 0x00]);
  });

  it("leaves objects no binding wants untouched and logs each decision with a request id", async () => {
    const other = await client.request<ConfigMapObject>({
      method: "POST",
      path: configMaps(ns),
      body: configMap("unrelated"),
    });
    expect(other.metadata.labels).toBeUndefined();
    const decisions = served.lines.filter((line) => line.msg === "admission decision");
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((line) => typeof line.requestId === "string")).toBe(true);
  });
});
