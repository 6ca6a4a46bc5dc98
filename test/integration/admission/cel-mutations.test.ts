// MutateCEL on the real API server (issue 17 item 3): the module's bindings compiled to
// MutatingAdmissionPolicies and applied with no capstan process at all; the API server mutates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { celPolicies } from "../../../src/admission/cel-policies.ts";
import { applyCelPolicies, deleteCelPolicies } from "../../../src/admission/cel-registration.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

interface ConfigMapObject {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

let client: ApiClient;
let ns: string;
let other: string;
let module: PeprModule;
let names: string[] = [];

beforeAll(async () => {
  client = await adminClient();
  ns = await freshNamespace(client, "cel-mutate");
  other = await freshNamespace(client, "cel-mutate-other");
  const cap = new Capability({ name: "defaults", description: "mutations the API server applies", namespaces: [ns] });
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .WithNameRegex(/^m-/)
    .MutateCEL({
      labels: { team: "platform" },
      annotations: { "capstan.dev/mutated-by": "cel" },
      defaultLabels: { tier: "bronze" },
      defaultAnnotations: { "example.com/owner": "nobody" },
    });
  cap
    .When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel("patch", "yes")
    .MutateCEL({ jsonPatch: "[JSONPatch{op: 'add', path: '/data', value: {'patched': object.metadata.name}}]" });
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .WithName("applied")
    .MutateCEL({ applyConfiguration: "Object{data: {'size': string(size(object.metadata.name))}}" });
  module = new PeprModule({ capstan: { uuid: `mc${Date.now().toString(36)}`, onError: "reject" } }, [cap], {
    deferStart: true,
  });
  const pairs = celPolicies(module);
  names = pairs.map((pair) => (pair.policy.metadata as { name: string }).name);
  await applyCelPolicies(client, pairs);
  // In force once a dry-run create comes back mutated (the API server loads policies asynchronously).
  await eventually(async () => ((await create(ns, "m-probe", {}, true)).metadata.labels?.team ? true : undefined), {
    timeoutMs: 30_000,
    what: "the MutatingAdmissionPolicy to be in force",
  });
});

afterAll(async () => {
  await deleteCelPolicies(client, names);
  for (const namespace of [ns, other]) {
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}` }).catch(() => {});
  }
  await client.close();
});

function create(namespace: string, name: string, labels: Record<string, string> = {}, dryRun = false) {
  return client.request<ConfigMapObject>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    ...(dryRun ? { query: { dryRun: "All" } } : {}),
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels } },
  });
}

describe("MutateCEL through the API server, no capstan process serving", () => {
  it("sets labels and annotations and fills defaults where the key is missing", async () => {
    const created = await create(ns, "m-plain");
    expect(created.metadata.labels).toEqual({ team: "platform", tier: "bronze" });
    expect(created.metadata.annotations).toEqual({
      "capstan.dev/mutated-by": "cel",
      "example.com/owner": "nobody",
    });
  });

  it("a default never replaces a value the object has; a set label does", async () => {
    const created = await create(ns, "m-gold", { tier: "gold", team: "someone" });
    expect(created.metadata.labels).toEqual({ team: "platform", tier: "gold" });
  });

  it("the chain's filters decide: another name, namespace or label is left alone", async () => {
    expect((await create(ns, "plain")).metadata.labels).toBeUndefined();
    expect((await create(other, "m-elsewhere")).metadata.labels).toBeUndefined();
  });

  it("runs raw JSONPatch and apply-configuration expressions", async () => {
    expect((await create(ns, "jp", { patch: "yes" })).data).toEqual({ patched: "jp" });
    expect((await create(ns, "applied")).data).toEqual({ size: "7" });
  });

  it("removing the policies stops the mutations and leaves no policy or binding", async () => {
    await deleteCelPolicies(client, names);
    await eventually(async () => ((await create(ns, "m-after", {}, true)).metadata.labels ? undefined : true), {
      timeoutMs: 30_000,
      what: "the mutation to stop",
    });
    for (const name of names) {
      for (const collection of ["mutatingadmissionpolicies", "mutatingadmissionpolicybindings"]) {
        await expect(
          client.request({ path: `/apis/admissionregistration.k8s.io/v1/${collection}/${name}` }),
        ).rejects.toBeInstanceOf(NotFoundError);
      }
    }
  });
});
