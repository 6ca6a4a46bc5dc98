// ValidateCEL on the real API server (issue 17): the module's bindings compiled to
// ValidatingAdmissionPolicies and applied with no capstan process serving them. A table of filters
// bound both ways (a webhook Validate and a ValidateCEL, each leaving a warning) proves the policies
// match exactly the objects the webhook path matches; Deny, Warn and Audit act as Kubernetes says.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CelPolicyObjects, celPolicies } from "../../../src/admission/cel-policies.ts";
import { applyCelPolicies, deleteCelPolicies } from "../../../src/admission/cel-registration.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import type { BindingFilter } from "../../../src/model/when-types.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import {
  configMap,
  configMaps,
  type RawResponse,
  requestWithHeaders,
  serveModule,
  type TestModule,
  warningTexts,
} from "./support.ts";

type ConfigMapChain = BindingFilter<typeof a.ConfigMap>;

let client: ApiClient;
let ns1: string;
let ns2: string;
let nsPolicy: string;
let served: TestModule | undefined;
const applied: CelPolicyObjects[] = [];

/** One filter, bound once as a webhook Validate and once as a ValidateCEL. */
const FILTERS: readonly (readonly [string, (chain: ConfigMapChain) => ConfigMapChain])[] = [
  ["any", (chain) => chain],
  ["ns", (chain) => chain.InNamespace(ns1)],
  ["ns-regex", (chain) => chain.InNamespaceRegex(new RegExp(`^${ns2}$`))],
  ["name", (chain) => chain.WithName("exact")],
  ["name-regex", (chain) => chain.WithNameRegex(/^rx-/)],
  ["label", (chain) => chain.WithLabel("team", "x")],
  ["label-exists", (chain) => chain.WithLabel("flag")],
  ["annotation", (chain) => chain.WithAnnotation("owner", "me")],
  ["both", (chain) => chain.WithLabel("team", "x").WithAnnotation("owner", "me")],
];

type EventChain = (cap: Capability) => ConfigMapChain;

/** Filters on other events: DELETE is judged on oldObject, WithDeletionTimestamp on UPDATE. */
const EVENT_FILTERS: readonly (readonly [string, EventChain])[] = [
  ["deleted-name", (cap) => cap.When(a.ConfigMap).IsDeleted().WithName("gone")],
  ["deleted-label", (cap) => cap.When(a.ConfigMap).IsDeleted().WithLabel("team", "x")],
  ["updated-deleting", (cap) => cap.When(a.ConfigMap).IsUpdated().WithDeletionTimestamp()],
  ["changed-label", (cap) => cap.When(a.ConfigMap).IsCreatedOrUpdated().WithLabel("phase", "two")],
];

/** Objects the table is run on: [namespace, name, labels, annotations]. */
const OBJECTS = () =>
  [
    [ns1, "plain", {}, {}],
    [ns2, "plain", {}, {}],
    [ns2, "exact", {}, {}],
    [ns1, "rx-a", {}, {}],
    [ns1, "not-rx-a", {}, {}],
    [ns2, "lab", { team: "x", flag: "on" }, {}],
    [ns2, "lab2", { team: "y", flag: "" }, {}],
    [ns1, "ann", { team: "x" }, { owner: "me" }],
    [ns1, "ann2", {}, { owner: "you" }],
  ] as const;

const CEL_PREFIX = /^Validation failed for ValidatingAdmissionPolicy '[^']+' with binding '[^']+': /;

function tagsOf(response: RawResponse): { webhook: string[]; cel: string[] } {
  const warnings = warningTexts(response.headers);
  const cel = warnings.filter((w) => CEL_PREFIX.test(w)).map((w) => w.replace(CEL_PREFIX, ""));
  const webhook = warnings.filter((w) => !CEL_PREFIX.test(w));
  return { webhook: webhook.sort(), cel: cel.sort() };
}

async function create(namespace: string, body: object, dryRun = false): Promise<RawResponse> {
  return requestWithHeaders(client, {
    method: "POST",
    path: configMaps(namespace),
    body,
    ...(dryRun ? { query: "dryRun=All" } : {}),
  });
}

const message = (response: RawResponse) => String(response.body.message ?? "");

beforeAll(async () => {
  client = await adminClient();
  ns1 = await freshNamespace(client, "cel-a");
  ns2 = await freshNamespace(client, "cel-b");
  nsPolicy = await freshNamespace(client, "cel-actions");

  // The filter table, both ways, in one capability limited to ns1 and ns2.
  const webhookCap = new Capability({ name: "by-webhook", description: "", namespaces: [ns1, ns2] });
  const celCap = new Capability({ name: "by-cel", description: "", namespaces: [ns1, ns2] });
  for (const [tag, filter] of FILTERS) {
    filter(webhookCap.When(a.ConfigMap).IsCreated()).Validate((req) => req.Approve([tag]));
    filter(celCap.When(a.ConfigMap).IsCreated()).ValidateCEL(
      { expression: "false", message: tag },
      { actions: ["Warn"] },
    );
  }
  for (const [tag, chain] of EVENT_FILTERS) {
    chain(webhookCap).Validate((req) => req.Approve([tag]));
    chain(celCap).ValidateCEL({ expression: "false", message: tag }, { actions: ["Warn"] });
  }

  // Deny, Warn and Audit; a Pod rule too.
  const actions = new Capability({ name: "actions", description: "", namespaces: [nsPolicy] });
  actions
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithNameRegex(/^deny-/)
    .ValidateCEL({
      expression: "has(object.metadata.labels) && 'team' in object.metadata.labels",
      message: "a team label is required",
      reason: "Forbidden",
    });
  actions
    .When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^warn-/)
    .ValidateCEL(
      { expression: "false", messageExpression: "'warned about ' + object.metadata.name" },
      { actions: ["Warn"] },
    );
  actions
    .When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^audit-/)
    .ValidateCEL({ expression: "false", message: "audited" }, { actions: ["Audit"] });
  actions.When(a.Pod).IsCreated().ValidateCEL({
    expression: "!has(object.spec.hostNetwork) || !object.spec.hostNetwork",
    message: "host network is not allowed",
  });

  const uuid = `cel${Date.now().toString(36)}`;
  const module = new PeprModule({ pepr: { uuid, onError: "reject" } }, [celCap, actions], { deferStart: true });
  applied.push(...celPolicies(module));
  await applyCelPolicies(client, applied);

  // Active once a request each policy must judge is judged (the API server loads policies asynchronously).
  await eventually(
    async () => {
      const denied = await create(nsPolicy, configMap("deny-probe"), true);
      const warned = tagsOf(await create(ns1, configMap("probe"), true));
      const ready = denied.status === 403 && warned.cel.includes("any") && warned.cel.includes("ns");
      const rx = tagsOf(
        await create(
          ns2,
          configMap("rx-probe", { labels: { team: "x", flag: "" }, annotations: { owner: "me" } }),
          true,
        ),
      );
      return ready && rx.cel.length === 7 ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: "the ValidatingAdmissionPolicies to be active" },
  );

  served = await serveModule(client, [ns1, ns2], [webhookCap]);
}, 120_000);

afterAll(async () => {
  await served?.stop();
  await deleteCelPolicies(
    client,
    applied.map(({ policy }) => (policy.metadata as { name: string }).name),
  );
  for (const ns of [ns1, ns2, nsPolicy]) {
    if (ns) await client.request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
  }
  await client?.close();
});

describe("ValidateCEL compiled to ValidatingAdmissionPolicy", () => {
  it("each filter matches exactly the objects its webhook twin matches", async () => {
    const seen = new Set<string>();
    for (const [namespace, name, labels, annotations] of OBJECTS()) {
      const response = await create(
        namespace,
        configMap(name, { labels: { ...labels }, annotations: { ...annotations } }),
      );
      expect(response.status, `${namespace}/${name}: ${message(response)}`).toBe(201);
      const { webhook, cel } = tagsOf(response);
      expect(cel, `${name} in ${namespace === ns1 ? "ns1" : "ns2"}`).toEqual(webhook);
      for (const tag of cel) seen.add(tag);
    }
    // The table is not vacuous: every filter matched some object, and none matched every object.
    expect([...seen].sort()).toEqual(FILTERS.map(([tag]) => tag).sort());
    const lab = tagsOf(await create(ns2, configMap("lab-3", { labels: { team: "x", flag: "on" } }), true));
    expect(lab.cel).toEqual(["any", "label", "label-exists", "ns-regex"]);
  });

  it("on UPDATE and DELETE too, including oldObject and deletionTimestamp", async () => {
    const seen = new Set<string>();
    const same = (response: RawResponse, what: string) => {
      expect(response.status, `${what}: ${message(response)}`).toBeLessThan(300);
      const { webhook, cel } = tagsOf(response);
      expect(cel, what).toEqual(webhook);
      for (const tag of cel) seen.add(tag);
      return cel;
    };
    const path = (name: string) => `${configMaps(ns1)}/${name}`;
    const read = (name: string) => client.request<Record<string, unknown>>({ path: path(name) });
    const put = async (name: string, change: (object: { metadata: Record<string, unknown> }) => void) => {
      const object = (await read(name)) as { metadata: Record<string, unknown> };
      change(object);
      return requestWithHeaders(client, { method: "PUT", path: path(name), body: object });
    };
    const del = (name: string) => requestWithHeaders(client, { method: "DELETE", path: path(name) });

    await create(ns1, configMap("gone"));
    await create(ns1, configMap("kept", { labels: { team: "x" } }));
    expect(same(await del("gone"), "delete gone")).toContain("deleted-name");
    expect(same(await del("kept"), "delete kept")).toContain("deleted-label");
    await create(ns1, configMap("staged"));
    expect(same(await put("staged", (o) => (o.metadata.labels = { phase: "two" })), "update to phase two")).toContain(
      "changed-label",
    );
    expect(
      same(await put("staged", (o) => (o.metadata.labels = { phase: "one" })), "update to phase one"),
    ).not.toContain("changed-label");
    await create(ns1, configMap("held", { finalizers: ["example.com/hold"] } as never));
    same(await del("held"), "delete held (sets deletionTimestamp)");
    expect(same(await put("held", (o) => (o.metadata.labels = { touched: "yes" })), "update while deleting")).toContain(
      "updated-deleting",
    );
    expect(
      same(await put("staged", (o) => (o.metadata.labels = { touched: "yes" })), "update not deleting"),
    ).not.toContain("updated-deleting");
    same(await put("held", (o) => (o.metadata.finalizers = [])), "release the finalizer");
    expect([...seen].filter((tag) => EVENT_FILTERS.some(([name]) => name === tag)).sort()).toEqual(
      EVENT_FILTERS.map(([tag]) => tag).sort(),
    );
  });

  it("Deny rejects with the message and reason; a valid object is admitted", async () => {
    const denied = await create(nsPolicy, configMap("deny-me"));
    expect(denied.status).toBe(403);
    expect(message(denied)).toContain("denied request: a team label is required");
    const admitted = await create(nsPolicy, configMap("deny-not", { labels: { team: "a" } }));
    expect(admitted.status).toBe(201);
    const outside = await create(ns1, configMap("deny-elsewhere"));
    expect(outside.status).toBe(201);
  });

  it("Warn admits with the message as a warning; Audit admits silently", async () => {
    const warned = await create(nsPolicy, configMap("warn-me"));
    expect(warned.status).toBe(201);
    expect(warningTexts(warned.headers).map((w) => w.replace(CEL_PREFIX, ""))).toEqual(["warned about warn-me"]);
    const audited = await create(nsPolicy, configMap("audit-me"));
    expect(audited.status).toBe(201);
    expect(warningTexts(audited.headers)).toEqual([]);
  });

  it("forbids host network on Pods", async () => {
    const pod = (hostNetwork: boolean) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `p-${hostNetwork}` },
      spec: { hostNetwork, containers: [{ name: "c", image: "registry.example/none:1" }] },
    });
    const path = `/api/v1/namespaces/${nsPolicy}/pods`;
    const denied = await requestWithHeaders(client, { method: "POST", path, body: pod(true), query: "dryRun=All" });
    expect(denied.status).toBe(422);
    expect(message(denied)).toContain("host network is not allowed");
    const admitted = await requestWithHeaders(client, { method: "POST", path, body: pod(false), query: "dryRun=All" });
    expect(admitted.status).toBe(201);
  });

  it("still enforces with no capstan admission process at all", async () => {
    await served?.stop();
    served = undefined;
    const denied = await create(nsPolicy, configMap("deny-after-stop"));
    expect(denied.status).toBe(403);
    expect(message(denied)).toContain("a team label is required");
    const { cel, webhook } = tagsOf(await create(ns1, configMap("exact"), true));
    expect(webhook).toEqual([]);
    expect(cel).toEqual(["any", "name", "ns"]);
  });
});
