import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { Enforcement } from "../../../src/model/enforcement.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { configMap, configMaps, requestWithHeaders, serveModule, type TestModule, warningTexts } from "./support.ts";

// One rule, the same code, three module configs: the rollout audit → warn → enforce is configuration only.
const modes: Enforcement[] = ["audit", "warn", "enforce"];
const MESSAGE = "ConfigMaps need a team label";
let client: ApiClient;
const served = new Map<Enforcement, { ns: string; module: TestModule }>();

function teamRule(): Capability {
  const cap = new Capability({ name: "policy", description: "a rule being rolled out" });
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^cm-/)
    .Alias("needs-team")
    .Validate((req) => (req.Raw.metadata?.labels?.team ? req.Approve() : req.Deny(MESSAGE)));
  return cap;
}

beforeAll(async () => {
  client = await adminClient();
  await Promise.all(
    modes.map(async (mode) => {
      const ns = await freshNamespace(client, `modes-${mode}`);
      const module = await serveModule(client, [ns], [teamRule()], {
        config: { enforcement: { bindings: { "needs-team": mode } } },
      });
      served.set(mode, { ns, module });
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

async function create(mode: Enforcement, name: string, labels: Record<string, string> = {}) {
  const { ns } = served.get(mode) as { ns: string };
  const response = await requestWithHeaders(client, {
    method: "POST",
    path: configMaps(ns),
    body: configMap(name, { labels }),
  });
  const stored = await client
    .request({ method: "GET", path: `${configMaps(ns)}/${name}` })
    .then(() => true)
    .catch(() => false);
  return { ...response, stored, warnings: warningTexts(response.headers) };
}

describe("enforcement modes through the API server", () => {
  it("enforce: the request is denied with the rule's message", async () => {
    const result = await create("enforce", "cm-denied");
    expect(result.status).toBe(400);
    expect(String(result.body.message)).toContain(MESSAGE);
    expect(result.stored).toBe(false);
  });

  it("warn: the object is created and the client sees the denial as a warning", async () => {
    const result = await create("warn", "cm-warned");
    expect(result.status).toBe(201);
    expect(result.stored).toBe(true);
    expect(result.warnings).toEqual([`needs-team: ${MESSAGE}`]);
  });

  it("audit: the object is created, the client sees nothing, the decision is recorded", async () => {
    const result = await create("audit", "cm-audited");
    expect(result.status).toBe(201);
    expect(result.stored).toBe(true);
    expect(result.warnings).toEqual([]);
    const { module } = served.get("audit") as { module: TestModule };
    const recorded = module.lines.filter((line) => line.msg === "audit mode: admitted a request this rule denies");
    expect(recorded).toEqual([
      expect.objectContaining({ rule: "needs-team", kind: "ConfigMap", name: "cm-audited", operation: "CREATE" }),
    ]);
    expect(JSON.stringify(recorded)).not.toContain('"data"');
  });

  it.each(modes)("%s: an object the rule accepts passes with no warning", async (mode) => {
    const result = await create(mode, "cm-ok", { team: "platform" });
    expect(result.status).toBe(201);
    expect(result.warnings).toEqual([]);
  });
});
