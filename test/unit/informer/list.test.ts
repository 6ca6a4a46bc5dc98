import { describe, expect, it } from "vitest";
import { listAll } from "../../../src/informer/list.ts";
import type { ApiClient, ApiRequest } from "../../../src/k8s/api-client.ts";
import { apiErrorFor } from "../../../src/k8s/errors.ts";
import { kindOf } from "../../../src/k8s/kinds.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";

type Page = { metadata: { resourceVersion: string; continue?: string }; items: { metadata: { name: string } }[] };

/** A stand-in for the API server's paginated LIST: answers from a script, one entry per request. */
function scriptedClient(script: ((request: ApiRequest) => Page)[]) {
  const requests: ApiRequest[] = [];
  const client = {
    async request(request: ApiRequest) {
      requests.push(request);
      const next = script.shift();
      if (!next) throw new Error("unexpected request");
      return next(request);
    },
  } as unknown as ApiClient;
  return { client, requests };
}

const page = (rv: string, names: string[], token?: string) => () => ({
  metadata: { resourceVersion: rv, ...(token ? { continue: token } : {}) },
  items: names.map((name) => ({ metadata: { name } })),
});
const expired = () => {
  throw apiErrorFor({ status: 410, method: "GET", path: "/api/v1/configmaps", body: { reason: "Expired" } });
};
const options = { pageSize: 2, requestTimeoutMs: 1_000, signal: new AbortController().signal };
const scope = { kind: kindOf(ConfigMap), namespace: "ns", labelSelector: "a=b" };

describe("listAll", () => {
  it("follows continue tokens, keeps the first page's resourceVersion, and fills apiVersion and kind", async () => {
    const { client, requests } = scriptedClient([page("10", ["a", "b"], "t1"), page("10", ["c"])]);
    const result = await listAll(client, scope, options);
    expect(result.resourceVersion).toBe("10");
    expect(result.items.map((i) => [i.metadata?.name, i.apiVersion, i.kind])).toEqual([
      ["a", "v1", "ConfigMap"],
      ["b", "v1", "ConfigMap"],
      ["c", "v1", "ConfigMap"],
    ]);
    expect(requests.map((r) => [r.path, r.query?.limit, r.query?.continue, r.query?.labelSelector])).toEqual([
      ["/api/v1/namespaces/ns/configmaps", 2, undefined, "a=b"],
      ["/api/v1/namespaces/ns/configmaps", 2, "t1", "a=b"],
    ]);
  });

  it("starts the whole list over when a continue token has expired (410)", async () => {
    const { client, requests } = scriptedClient([
      page("10", ["a", "b"], "t1"),
      expired,
      page("20", ["a", "x"], "t2"),
      page("20", ["y"]),
    ]);
    const result = await listAll(client, scope, options);
    expect(result.resourceVersion).toBe("20");
    expect(result.items.map((i) => i.metadata?.name)).toEqual(["a", "x", "y"]);
    expect(requests.map((r) => r.query?.continue)).toEqual([undefined, "t1", undefined, "t2"]);
  });

  it("passes a 410 on the first page up (the caller relists later), and gives up after repeated expiry", async () => {
    await expect(listAll(scriptedClient([expired]).client, scope, options)).rejects.toMatchObject({ status: 410 });
    const flapping = Array.from({ length: 6 }, () => [page("1", ["a"], "t"), expired]).flat();
    await expect(listAll(scriptedClient(flapping).client, scope, options)).rejects.toMatchObject({ status: 410 });
  });
});
