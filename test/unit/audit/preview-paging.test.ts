import { describe, expect, it } from "vitest";
import { runPreview } from "../../../src/audit/index.ts";
import { type ApiClient, type ApiRequest, apiErrorFor } from "../../../src/k8s/index.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";

function module() {
  const cap = new Capability({ name: "cap", description: "d" });
  cap
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .Validate((req) => (req.Raw.metadata?.name === "bad" ? req.Deny("bad name") : req.Approve()));
  return new PeprModule({ capstan: { uuid: "u", onError: "reject" } }, [cap], { deferStart: true });
}

const cm = (name: string) => ({ metadata: { name, namespace: "ns" } });

/** A client whose LIST pages come from `pages` (by continue token), or whose answer is an API error. */
function pagedClient(answer: (request: ApiRequest) => unknown): { client: ApiClient; requests: ApiRequest[] } {
  const requests: ApiRequest[] = [];
  const client = {
    request: async (request: ApiRequest) => {
      requests.push(request);
      const result = answer(request);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as ApiClient;
  return { client, requests };
}

const error = (status: number, reason: string) =>
  apiErrorFor({ status, method: "GET", path: "/api/v1/configmaps", body: { reason, message: reason } });

describe("runPreview's LIST", () => {
  it("follows continue tokens page by page with the page size, and reports progress", async () => {
    const { client, requests } = pagedClient((request) =>
      request.query?.continue === "p2"
        ? { metadata: {}, items: [cm("c"), cm("bad")] }
        : { metadata: { continue: "p2", remainingItemCount: 2 }, items: [cm("a"), cm("b")] },
    );
    const progress: number[] = [];
    const report = await runPreview(module(), {
      client,
      pageSize: 2,
      onProgress: ({ done, total }) => progress.push(done * 10 + total),
    });
    expect(requests.map((r) => [r.path, r.query?.limit, r.query?.continue])).toEqual([
      ["/api/v1/configmaps", 2, undefined],
      ["/api/v1/configmaps", 2, "p2"],
    ]);
    expect(report.objects).toBe(4);
    expect(report.totals).toMatchObject({ evaluated: 4, pass: 3, deny: 1 });
    expect(report.findings).toMatchObject([{ name: "bad", namespace: "ns", outcome: "deny", message: "bad name" }]);
    expect(progress.at(-1)).toBe(44);
  });

  it("lists each --namespace on its own", async () => {
    const { client, requests } = pagedClient(() => ({ metadata: {}, items: [] }));
    await runPreview(module(), { client, namespaces: ["x", "y"] });
    expect(requests.map((r) => r.path)).toEqual(["/api/v1/namespaces/x/configmaps", "/api/v1/namespaces/y/configmaps"]);
  });

  it("an expired continue token and a refused LIST stop with what to do", async () => {
    const expired = pagedClient((request) =>
      request.query?.continue ? error(410, "Expired") : { metadata: { continue: "p2" }, items: [cm("a")] },
    );
    await expect(runPreview(module(), { client: expired.client })).rejects.toThrow(
      "the paged LIST of /api/v1/configmaps expired while the preview ran",
    );
    const refused = pagedClient(() => error(403, "Forbidden"));
    await expect(runPreview(module(), { client: refused.client })).rejects.toThrow(
      'cannot list configmaps (ConfigMap, group core) at /api/v1/configmaps: Forbidden. The preview needs "list"',
    );
  });
});
