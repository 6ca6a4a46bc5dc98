import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushesFiltersDown, webhookConfigurations } from "../../../src/admission/webhook-config.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import type { AdmissionRequest, AdmissionResponse } from "../../../src/model/admission-request.ts";
import { Capability } from "../../../src/model/capability.ts";
import { parseModuleConfig } from "../../../src/model/module-config.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";
import { serveModule, type TestModule } from "../admission/support.ts";

// The shape of Pepr's published hooks example: three Secrets, bound mutate-only, validate-only and
// both, in a module with a beforeHook and an afterHook. Under Pepr each webhook selects by kind and
// operation only, so every Secret creation reaches both webhooks and both hooks run for each.

let client: ApiClient;
let ns: string;
let served: TestModule;

interface HookCall {
  readonly hook: "before" | "after-mutate" | "after-validate";
  readonly uid: string;
  readonly at: number;
}
const calls: HookCall[] = [];
const names = new Map<string, string>();
let clock = 0;

/** Pepr's hooks example tells the two apart this way: a ValidateResponse has exactly `allowed` and `uid`. */
function looksLikeValidate(response: AdmissionResponse): boolean {
  return Object.keys(response).sort().toString() === "allowed,uid";
}

function capability(namespace: string): Capability {
  const hooks = new Capability({ name: "hooks", description: "", namespaces: [namespace] });
  hooks
    .When(a.Secret)
    .IsCreated()
    .InNamespace(namespace)
    .WithName("mutate-only")
    .Mutate(() => {});
  hooks
    .When(a.Secret)
    .IsCreated()
    .InNamespace(namespace)
    .WithName("validate-only")
    .Validate((request) => request.Approve());
  hooks
    .When(a.Secret)
    .IsCreated()
    .InNamespace(namespace)
    .WithName("mutate-and-validate")
    .Mutate(() => {});
  hooks
    .When(a.Secret)
    .IsCreated()
    .InNamespace(namespace)
    .WithName("mutate-and-validate")
    .Validate((request) => request.Approve());
  return hooks;
}

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "compat-hooks");
  served = await serveModule(client, [ns], [capability(ns)], {
    options: {
      beforeHook: (request: AdmissionRequest) => {
        if (request.kind.kind !== "Secret") return;
        names.set(request.uid, request.name ?? "");
        calls.push({ hook: "before", uid: request.uid, at: clock++ });
      },
      afterHook: (response: AdmissionResponse) => {
        if (!names.has(response.uid)) return;
        calls.push({
          hook: looksLikeValidate(response) ? "after-validate" : "after-mutate",
          uid: response.uid,
          at: clock++,
        });
      },
    },
  });
  for (const name of ["mutate-only", "validate-only", "mutate-and-validate", "unbound"]) {
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/secrets`,
      body: { apiVersion: "v1", kind: "Secret", metadata: { name }, stringData: { a: "b" } },
    });
  }
}, 90_000);
afterAll(async () => {
  await served?.stop();
  if (ns) await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  await client?.close();
});

/** The hook calls about one Secret, in the order they ran. */
function callsFor(name: string): string[] {
  return calls.filter((call) => names.get(call.uid) === name).map((call) => call.hook);
}

describe("Pepr mode: hooks see the requests they see under Pepr", () => {
  it("a validate-only binding's Secret reaches both webhooks: beforeHook twice, a mutate and a validate afterHook", () => {
    expect(callsFor("validate-only")).toEqual(["before", "after-mutate", "before", "after-validate"]);
  });

  it("a mutate-only binding's Secret reaches the validating webhook too, where no binding matches and afterHook does not run", () => {
    expect(callsFor("mutate-only")).toEqual(["before", "after-mutate", "before"]);
  });

  it("a Secret bound both ways gets each hook once per webhook, mutating first", () => {
    expect(callsFor("mutate-and-validate")).toEqual(["before", "after-mutate", "before", "after-validate"]);
  });

  it("a Secret no binding names still passes both hooks, as every request of a bound kind does under Pepr", () => {
    expect(callsFor("unbound")).toEqual(["before", "after-mutate", "before"]);
  });

  it("logs Pepr's request lines, which pair each webhook call with its hook calls by uid", () => {
    const incoming = (name: string, admissionKind: string) =>
      served.lines.find(
        (line) => line.msg === "Incoming request" && line.admissionKind === admissionKind && line.name === `/${name}`,
      );
    for (const name of ["mutate-only", "validate-only", "mutate-and-validate"]) {
      const mutate = incoming(name, "Mutate");
      const validate = incoming(name, "Validate");
      expect(mutate?.uid).toBeDefined();
      expect(validate?.uid).toBeDefined();
      expect(calls.filter((call) => call.hook === "before" && call.uid === mutate?.uid)).toHaveLength(1);
      expect(calls.filter((call) => call.hook === "before" && call.uid === validate?.uid)).toHaveLength(1);
    }
    // The validating webhook's answer for a Secret no validate binding matched, as Pepr gives it.
    const unmatched = incoming("mutate-only", "Validate");
    const outgoing = served.lines.find((line) => line.msg === "Outgoing response" && line.uid === unmatched?.uid);
    expect(outgoing?.kubeAdmissionResponse).toMatchObject({
      allowed: true,
      status: { code: 200, message: "no in-scope validations -- allowed!" },
    });
    const checks = served.lines.filter((line) => line.msg === "Check response" && line.uid === unmatched?.uid);
    expect(checks).toHaveLength(0);
    // A Secret's patch is never logged.
    const mutated = incoming("mutate-only", "Mutate");
    const check = served.lines.find((line) => line.msg === "Check response" && line.uid === mutated?.uid);
    expect(check?.res).toMatchObject({ allowed: true });
    expect(JSON.stringify(check)).not.toContain('patch"');
  });

  it("logs Pepr's processing lines for each request and each binding's callback", () => {
    const incoming = (name: string, admissionKind: string) =>
      served.lines.find(
        (line) => line.msg === "Incoming request" && line.admissionKind === admissionKind && line.name === `/${name}`,
      )?.uid;
    const messages = (uid: unknown) =>
      served.lines.filter((line) => line.uid === uid && line.msg !== "Incoming request").map((line) => line.msg);
    expect(messages(incoming("mutate-only", "Mutate"))).toEqual(
      expect.arrayContaining([
        "Processing request",
        "Processing mutation action (mutateCallback)",
        "Mutation action succeeded (mutateCallback)",
      ]),
    );
    expect(messages(incoming("validate-only", "Validate"))).toEqual(
      expect.arrayContaining([
        "Processing validation request",
        "Processing validation action (validateCallback)",
        "Validation action complete (validateCallback): allowed",
      ]),
    );
    expect(messages(incoming("unbound", "Mutate"))).toEqual(
      expect.arrayContaining(["Processing request", "No matching actions found"]),
    );
    // Per-binding lines name the capability, as Pepr's do.
    const action = served.lines.find(
      (line) =>
        line.msg === "Processing mutation action (mutateCallback)" && line.uid === incoming("mutate-only", "Mutate"),
    );
    expect(action?.name).toBe("hooks");
  });

  it("keeps capstan's push-down for a capstan module, and for a Pepr module without hooks", () => {
    const capabilities = [capability("anywhere")];
    const pepr = parseModuleConfig({ pepr: { uuid: "hooks-pepr", onError: "reject" } });
    const own = parseModuleConfig({ capstan: { uuid: "hooks-capstan", onError: "reject" } });
    const hooks = { beforeHook: () => {} };
    expect(pushesFiltersDown({ config: pepr, capabilities, options: hooks })).toBe(false);
    expect(pushesFiltersDown({ config: pepr, capabilities })).toBe(true);
    expect(pushesFiltersDown({ config: own, capabilities, options: hooks })).toBe(true);
    const endpoint = { url: "https://127.0.0.1:1" };
    const peprHooked = webhookConfigurations(
      { config: pepr, capabilities, options: hooks },
      { endpoint, apiPath: "p", caBundle: "" },
    );
    const [mutating] = (peprHooked.mutating?.webhooks ?? []) as Record<string, unknown>[];
    expect(mutating?.matchConditions).toBeUndefined();
    expect(mutating?.objectSelector).toBeUndefined();
    expect(JSON.stringify(mutating?.namespaceSelector)).not.toContain('"In"');
    const capstanHooked = webhookConfigurations(
      { config: own, capabilities, options: hooks },
      { endpoint, apiPath: "p", caBundle: "" },
    );
    const [pushed] = (capstanHooked.mutating?.webhooks ?? []) as Record<string, unknown>[];
    expect(pushed?.matchConditions).toBeDefined();
  });
});
