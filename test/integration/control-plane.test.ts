import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../src/k8s/api-client.ts";
import { ConflictError, NotFoundError } from "../../src/k8s/errors.ts";
import { type WatchEvent, watchEvents } from "../../src/k8s/watch-stream.ts";
import { createCertificateAuthority } from "../../src/tls/certificates.ts";
import { adminClient, eventually, freshNamespace } from "../support/cluster.ts";

interface ConfigMap {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    managedFields?: { manager: string }[];
  };
  data?: Record<string, string>;
}
interface List<T> {
  items: T[];
  metadata: { resourceVersion: string };
}

let client: ApiClient;
beforeAll(async () => {
  client = await adminClient();
});
afterAll(async () => {
  await client.close();
});

const configMaps = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const configMap = (name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name },
  data,
});

describe("the local control plane", () => {
  it("reports the pinned Kubernetes version", async () => {
    const version = await client.request<{ gitVersion: string }>({ path: "/version" });
    expect(version.gitVersion).toBe("v1.36.3");
  });

  it("creates, gets, lists and deletes a ConfigMap in a fresh namespace", async () => {
    const ns = await freshNamespace(client, "crud");
    await client.request({ method: "POST", path: configMaps(ns), body: configMap("one", { a: "1" }) });
    await client.request({ method: "POST", path: configMaps(ns), body: configMap("two", { b: "2" }) });
    await expect(
      client.request({ method: "POST", path: configMaps(ns), body: configMap("one", {}) }),
    ).rejects.toBeInstanceOf(ConflictError);

    const got = await client.request<ConfigMap>({ path: `${configMaps(ns)}/one` });
    expect(got.data).toEqual({ a: "1" });
    const list = await client.request<List<ConfigMap>>({ path: configMaps(ns) });
    expect(list.items.map((cm) => cm.metadata.name)).toEqual(expect.arrayContaining(["one", "two"]));

    await client.request({ method: "DELETE", path: `${configMaps(ns)}/one` });
    const missing = client.request({ path: `${configMaps(ns)}/one` });
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await expect(missing).rejects.toMatchObject({ status: 404, reason: "NotFound" });
    const after = await client.request<List<ConfigMap>>({ path: configMaps(ns) });
    expect(after.items.map((cm) => cm.metadata.name)).not.toContain("one");
  });

  it("applies server-side with a field manager and reports conflicts between managers", async () => {
    const ns = await freshNamespace(client, "ssa");
    const apply = (manager: string, data: Record<string, string>, force = false) =>
      client.request<ConfigMap>({
        method: "PATCH",
        path: `${configMaps(ns)}/applied`,
        query: { fieldManager: manager, force },
        contentType: "application/apply-patch+yaml",
        body: configMap("applied", data),
      });
    const first = await apply("capstan-test", { owner: "first" });
    expect(first.data).toEqual({ owner: "first" });
    expect(first.metadata.managedFields?.map((f) => f.manager)).toContain("capstan-test");

    await expect(apply("someone-else", { owner: "second" })).rejects.toMatchObject({ status: 409, reason: "Conflict" });
    const forced = await apply("someone-else", { owner: "second" }, true);
    expect(forced.data).toEqual({ owner: "second" });
  });

  it("streams ADDED, MODIFIED and DELETED watch events for a ConfigMap", async () => {
    const ns = await freshNamespace(client, "watch");
    const list = await client.request<List<ConfigMap>>({ path: configMaps(ns) });
    const abort = new AbortController();
    const seen: WatchEvent<ConfigMap>[] = [];
    const watching = (async () => {
      const events = watchEvents<ConfigMap>(client, {
        path: configMaps(ns),
        query: { resourceVersion: list.metadata.resourceVersion, fieldSelector: "metadata.name=watched" },
        signal: abort.signal,
      });
      for await (const event of events) {
        seen.push(event as WatchEvent<ConfigMap>);
        if (event.type === "DELETED") return;
      }
    })();

    await client.request({ method: "POST", path: configMaps(ns), body: configMap("watched", { v: "1" }) });
    await client.request({
      method: "PATCH",
      path: `${configMaps(ns)}/watched`,
      contentType: "application/merge-patch+json",
      body: { data: { v: "2" } },
    });
    await client.request({ method: "DELETE", path: `${configMaps(ns)}/watched` });
    await Promise.race([
      watching,
      new Promise((_, reject) => setTimeout(() => reject(new Error("watch timed out")), 20_000)),
    ]);
    abort.abort();

    expect(seen.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    expect(seen.map((e) => e.object.data?.v)).toEqual(["1", "2", "2"]);
  });

  it("finishes deleting a namespace (kube-controller-manager runs)", async () => {
    const ns = await freshNamespace(client, "doomed");
    await client.request({ method: "POST", path: configMaps(ns), body: configMap("content", { x: "y" }) });
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` });
    await eventually(
      async () =>
        client.request({ path: `/api/v1/namespaces/${ns}` }).then(
          () => undefined,
          (error) => (error instanceof NotFoundError ? true : undefined),
        ),
      { timeoutMs: 60_000, what: `namespace ${ns} to be deleted` },
    );
  });

  it("calls a mutating webhook served over TLS on 127.0.0.1", async () => {
    const ns = await freshNamespace(client, "webhook");
    const ca = await createCertificateAuthority({ commonName: "webhook-test-ca" });
    const serving = await ca.issue({ commonName: "webhook", usage: "server", ipAddresses: ["127.0.0.1"] });
    let calls = 0;
    const server: Server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        calls++;
        const review = JSON.parse(body) as { request: { uid: string } };
        const patch = [{ op: "add", path: "/metadata/labels", value: { "mutated-by": "test-webhook" } }];
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            apiVersion: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: {
              uid: review.request.uid,
              allowed: true,
              patchType: "JSONPatch",
              patch: Buffer.from(JSON.stringify(patch)).toString("base64"),
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const name = `${ns}.capstan.test`;
    try {
      await client.request({
        method: "POST",
        path: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
        body: {
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "MutatingWebhookConfiguration",
          metadata: { name },
          webhooks: [
            {
              name: `mutate.${name}`,
              clientConfig: {
                url: `https://127.0.0.1:${port}/mutate`,
                caBundle: Buffer.from(ca.cert).toString("base64"),
              },
              rules: [
                {
                  apiGroups: [""],
                  apiVersions: ["v1"],
                  operations: ["CREATE"],
                  resources: ["configmaps"],
                  scope: "Namespaced",
                },
              ],
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
              admissionReviewVersions: ["v1"],
              sideEffects: "None",
              failurePolicy: "Fail",
              timeoutSeconds: 5,
            },
          ],
        },
      });
      // The API server picks up new webhook configurations through an informer, so probe with dry runs.
      await eventually(
        async () => {
          const probe = await client.request<ConfigMap>({
            method: "POST",
            path: configMaps(ns),
            query: { dryRun: "All" },
            body: configMap("probe", {}),
          });
          return probe.metadata.labels?.["mutated-by"] ? true : undefined;
        },
        { what: "the webhook to take effect" },
      );
      const created = await client.request<ConfigMap>({
        method: "POST",
        path: configMaps(ns),
        body: configMap("real", {}),
      });
      expect(created.metadata.labels).toEqual({ "mutated-by": "test-webhook" });
      expect(calls).toBeGreaterThanOrEqual(2);
    } finally {
      await client
        .request({
          method: "DELETE",
          path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`,
        })
        .catch(() => {});
      server.close();
    }
  });
});
