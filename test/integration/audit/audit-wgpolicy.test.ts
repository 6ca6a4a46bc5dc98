// `audit.reportApi: wgpolicyk8s`: the same audit written as wgpolicyk8s.io/v1alpha2 PolicyReports, for
// clusters whose report readers know only that group; the CRDs are created when absent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditRunner } from "../../../src/audit/runner.ts";
import { stopInformers } from "../../../src/informer/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { auditSettings } from "../../../src/model/audit-config.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let ns: string;
let runner: AuditRunner | undefined;
const uuid = `wgp${Date.now().toString(36)}`;

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "audit-wgp");
  for (const [name, labels] of [
    ["ok", { team: "a" }],
    ["nope", {}],
  ] as const) {
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { metadata: { name, labels } },
    });
  }
});

afterAll(async () => {
  await runner?.close();
  await stopInformers(client);
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client.close();
});

describe("audit with reportApi wgpolicyk8s", () => {
  it("writes PolicyReports the wgpolicyk8s.io CRD accepts", async () => {
    const cap = new Capability({ name: "rules", description: "", namespaces: [ns] });
    cap
      .When(a.ConfigMap)
      .IsCreated()
      .WithNameRegex(/^(ok|nope|later)$/)
      .Validate((req) => (req.Raw.metadata?.labels?.team ? req.Approve() : req.Deny("needs a team")));
    const module = new PeprModule(
      { capstan: { uuid, onError: "reject", audit: { reportApi: "wgpolicyk8s" } } },
      [cap],
      {
        deferStart: true,
      },
    );
    runner = new AuditRunner({ client, module, settings: auditSettings(module.config) });
    await runner.start();
    const path = `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports`;
    const list = await client.request<{
      items: {
        kind: string;
        scope: { name: string };
        results: { result: string; message: string }[];
        summary: object;
      }[];
    }>({ path });
    const byName = Object.fromEntries(list.items.map((r) => [r.scope.name, r]));
    expect(byName.ok?.results.map((r) => r.result)).toEqual(["pass"]);
    expect(byName.nope?.results).toEqual([expect.objectContaining({ result: "fail", message: "needs a team" })]);
    expect(byName.nope).toMatchObject({ kind: "PolicyReport", summary: { fail: 1, pass: 0 } });
    // A new object after the start is audited from its watch event.
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { metadata: { name: "later" } },
    });
    await eventually(
      async () => {
        const again = await client.request<{ items: { scope: { name: string } }[] }>({ path });
        return again.items.some((r) => r.scope.name === "later") ? true : undefined;
      },
      { timeoutMs: 10_000, what: "the report of an object created after the start" },
    );
  });
});
