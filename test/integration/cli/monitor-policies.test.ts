// `capstan monitor` beside the log: decisions the API server makes itself with a module's CEL
// policies, read from its own counters (issue 17 item 5), on the real API server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { celPolicies, celPolicyName } from "../../../src/admission/cel-policies.ts";
import { applyCelPolicies, deleteCelPolicies } from "../../../src/admission/cel-registration.ts";
import { followPolicyDecisions, modulePolicyCount } from "../../../src/cli/monitor/policies.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { flavorNames } from "../../../src/model/flavor.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let ns: string;
let module: PeprModule;
const uuid = `mon${Date.now().toString(36)}`;

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "monitor-cel");
  const cap = new Capability({ name: "rules", description: "CEL rules", namespaces: [ns] });
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^deny-/)
    .ValidateCEL({ expression: "false", message: "no deny- names" });
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^warn-/)
    .Alias("warn-names")
    .ValidateCEL({ expression: "false", message: "warn- names are discouraged" });
  // The second rule is rolled out in warn mode by configuration: its binding's action is Warn.
  module = new PeprModule(
    { capstan: { uuid, onError: "reject", enforcement: { bindings: { "warn-names": "warn" } } } },
    [cap],
    { deferStart: true },
  );
  await applyCelPolicies(client, celPolicies(module));
  await eventually(
    async () =>
      client
        .request({
          method: "POST",
          path: `/api/v1/namespaces/${ns}/configmaps`,
          query: { dryRun: "All" },
          body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "deny-probe" } },
        })
        .then(
          () => undefined,
          (error: Error) => (error.message.includes("no deny- names") ? true : undefined),
        ),
    { timeoutMs: 30_000, what: "the CEL policy to be in force" },
  );
});

afterAll(async () => {
  const names = module.capabilities.flatMap((cap) => cap.bindings).map((b) => celPolicyName(module, b));
  await deleteCelPolicies(client, names);
  await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client.close();
});

const create = (name: string) =>
  client
    .request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name } },
    })
    .then(
      () => "created",
      (error: Error) => error.message,
    );

describe("monitor: CEL policy decisions", () => {
  it("finds the module's policies by its uuid label", async () => {
    const names = flavorNames("capstan");
    expect(await modulePolicyCount(client, `${names.uuidLabel}=${uuid}`)).toBe(2);
    expect(await modulePolicyCount(client, `${names.uuidLabel}=not-${uuid}`)).toBe(0);
  });

  it("prints a line per decision the API server made after it started, denials and warnings apart", async () => {
    const lines: string[] = [];
    const said: string[] = [];
    const abort = new AbortController();
    const prefix = `${flavorNames("capstan").objectPrefix(uuid)}-`;
    const following = followPolicyDecisions(
      client,
      prefix,
      { line: (text) => lines.push(text), say: (text) => said.push(text) },
      abort.signal,
      200,
    );
    try {
      await eventually(async () => (said.length > 0 ? true : undefined), { what: "the baseline reading" });
      expect(said[0]).toMatch(
        new RegExp(`^CEL policies ${prefix}\\*: \\d+ decisions? counted by the API server so far`),
      );
      expect(await create("deny-one")).toContain("no deny- names");
      expect(await create("deny-two")).toContain("no deny- names");
      expect(await create("warn-one")).toBe("created");
      expect(await create("plain")).toBe("created");
      await eventually(
        async () => {
          const text = lines.join("\n");
          const denied = [...text.matchAll(/denied ×(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
          const warned = [...text.matchAll(/warned ×(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
          return denied === 2 && warned === 1 ? true : undefined;
        },
        { timeoutMs: 15_000, what: "2 denials and 1 warning in monitor's lines" },
      );
      const denyPolicy = celPolicyName(module, module.capabilities[0]?.bindings[0] as never);
      expect(lines.find((line) => line.includes("denied"))).toMatch(
        new RegExp(`^\\d\\d:\\d\\d:\\d\\d  CEL policy ${denyPolicy}  denied ×[12]  \\(total \\d+\\)$`),
      );
      expect(lines.every((line) => line.includes(prefix))).toBe(true);
    } finally {
      abort.abort();
      await following;
    }
  });
});
