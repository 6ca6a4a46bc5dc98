// A module's ValidateCEL bindings, compiled as the build compiles them and applied to the real API
// server, give the verdicts admissionTester gives offline (issue 17): same policy names, messages,
// codes and warnings.
import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { celPolicies } from "../../../src/admission/cel-policies.ts";
import { applyCelPolicies, deleteCelPolicies } from "../../../src/admission/cel-registration.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { type AdmissionTester, admissionTester } from "../../../src/testing/index.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let agent: Agent;
let namespace: string;
let tester: AdmissionTester;
let names: string[] = [];

function capability(ns: string) {
  const cap = new Capability({ name: "celmod", description: "ValidateCEL rules", namespaces: [ns] });
  const { When } = cap;
  When(ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel("strict")
    .ValidateCEL([
      { expression: "has(object.data)", message: "strict ConfigMaps carry data" },
      {
        expression: "'owner' in object.data",
        messageExpression: "'configmap ' + object.metadata.name + ' needs data.owner'",
        reason: "Forbidden",
      },
    ]);
  When(ConfigMap)
    .IsCreated()
    .ValidateCEL(
      { expression: "object.metadata.name.startsWith('app-')", message: "names start with app-" },
      {
        actions: ["Warn", "Audit"],
      },
    );
  When(ConfigMap)
    .IsDeleted()
    .WithLabel("keep")
    .ValidateCEL({ expression: "object == null && oldObject.metadata.labels.keep != 'true'", reason: "Forbidden" });
  return cap;
}

interface Answer {
  readonly allowed: boolean;
  readonly code: number | undefined;
  readonly message: string | undefined;
  readonly warnings: readonly string[];
}

async function send(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await httpRequest(`${new URL(client.connection.server).origin}${path}`, {
    method: method as "GET",
    dispatcher: agent,
    headers: {
      ...(await client.connection.headers()),
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = JSON.parse((await response.body.text()) || "{}") as { message?: string };
  const raw = response.headers.warning;
  const headers = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const warnings = headers.flatMap((h) =>
    [...h.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1")),
  );
  const allowed = response.statusCode < 300;
  return {
    allowed,
    code: allowed ? undefined : response.statusCode,
    message: allowed ? undefined : parsed.message,
    warnings,
  };
}

const cm = (name: string, labels: Record<string, string>, data?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, labels },
  ...(data ? { data } : {}),
});
const path = (name?: string) => `/api/v1/namespaces/${namespace}/configmaps${name ? `/${name}` : ""}`;

beforeAll(async () => {
  client = await adminClient();
  agent = new Agent({ connect: { ...client.connection.tls } });
  namespace = await freshNamespace(client, "cel-module");
  tester = admissionTester(capability(namespace), { config: { uuid: `cel-${randomBytes(3).toString("hex")}` } });
  await send("POST", path(), cm("kept", { keep: "true" }));
  const pairs = celPolicies(tester.module);
  names = pairs.map((pair) => (pair.policy.metadata as { name: string }).name);
  await applyCelPolicies(client, pairs);
  // Active when each policy answers: the strict one denies, the naming one warns, the delete one denies a dry run.
  await eventually(
    async () => {
      const strict = await send("POST", `${path()}?dryRun=All`, cm("probe", { strict: "1" }));
      const gone = await send("DELETE", `${path("kept")}?dryRun=All`);
      return !strict.allowed && strict.warnings.length > 0 && !gone.allowed ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300, what: "the module's policies to be active" },
  );
}, 120_000);

afterAll(async () => {
  if (client) await deleteCelPolicies(client, names);
  await agent?.close();
  await client?.close();
});

describe("a module's ValidateCEL bindings: admissionTester offline equals the API server", () => {
  it("for creates, updates and deletes under Deny, Warn+Audit and reasons", async () => {
    const cases = [
      { operation: "CREATE" as const, object: cm("app-ok", { strict: "1" }, { owner: "me" }) },
      { operation: "CREATE" as const, object: cm("app-nodata", { strict: "1" }) },
      { operation: "CREATE" as const, object: cm("app-noowner", { strict: "1" }, { x: "1" }) },
      { operation: "CREATE" as const, object: cm("badname", {}) },
      { operation: "CREATE" as const, object: cm("badname-strict", { strict: "1" }, { x: "1" }) },
      { operation: "UPDATE" as const, object: cm("app-ok", { strict: "1" }, { x: "2" }) },
      { operation: "DELETE" as const, name: "kept" },
    ];
    const rows: string[] = [];
    for (const c of cases) {
      let server: Answer;
      let offline: Awaited<ReturnType<AdmissionTester["validate"]>>;
      if (c.operation === "DELETE") {
        const stored = cm(c.name, { keep: "true" });
        offline = await tester.validate({ operation: "DELETE", oldObject: stored });
        server = await send("DELETE", path(c.name));
      } else if (c.operation === "UPDATE") {
        const old = cm(c.object.metadata.name, { strict: "1" }, { owner: "me" });
        offline = await tester.validate({ operation: "UPDATE", object: c.object, oldObject: old });
        server = await send("PUT", path(c.object.metadata.name), c.object);
      } else {
        offline = await tester.validate({ object: c.object });
        server = await send("POST", path(), c.object);
      }
      const name = c.operation === "DELETE" ? c.name : c.object.metadata.name;
      const expected: Answer = {
        allowed: offline.allowed,
        code: offline.code,
        message: offline.message === undefined ? undefined : `configmaps "${name}" is forbidden: ${offline.message}`,
        warnings: offline.warnings,
      };
      rows.push(
        `${c.operation} ${name}: ${server.allowed ? "allowed" : `denied ${server.code}`}${server.warnings.length > 0 ? " warned" : ""}`,
      );
      expect(server, `${c.operation} ${name}`).toEqual(expected);
    }
    // The table exercises both outcomes and a warning.
    expect(rows.filter((r) => r.includes("denied")).length).toBeGreaterThanOrEqual(3);
    expect(rows.some((r) => r.includes("allowed"))).toBe(true);
    expect(rows.filter((r) => r.endsWith("warned")).length).toBeGreaterThanOrEqual(2);
    console.log(`[cel-module] ${rows.join("; ")}`);
  });
});
