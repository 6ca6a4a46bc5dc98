import { describe, expect, it } from "vitest";
import { labelResponse } from "../../../src/admission/label-webhook.ts";
import { labelsShards, webhookConfigurations } from "../../../src/admission/webhook-config.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import type { AdmissionRequest } from "../../../src/model/index.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { Log } from "../../../src/telemetry/index.ts";

const silent = Log.child({}, { level: "silent" });

function sharded(build: (cap: Capability) => void, controller: Record<string, unknown> | null = { shards: "auto" }) {
  const cap = new Capability({ name: "c", description: "d", namespaces: ["team-a", "team-b"] });
  build(cap);
  return new PeprModule({ capstan: { uuid: "u1", onError: "reject", ...(controller ? { controller } : {}) } }, [cap], {
    deferStart: true,
  });
}

const options = { endpoint: { url: "https://127.0.0.1:9443" }, apiPath: "secret", caBundle: "PEM" };

describe("the shard label webhook in the mutating configuration", () => {
  it("covers the watched kinds' CREATE and UPDATE of unlabelled objects, best effort", () => {
    const module = sharded((cap) => {
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .Reconcile(() => {});
      cap
        .When(a.Secret)
        .IsCreated()
        .InNamespace("team-a")
        .Watch(() => {});
      cap
        .When(a.Pod)
        .IsCreated()
        .Validate((req) => req.Approve());
    });
    expect(labelsShards(module)).toBe(true);
    const { mutating, validating } = webhookConfigurations(module, options);
    expect(validating).toBeDefined();
    const webhooks = (mutating?.webhooks ?? []) as Record<string, unknown>[];
    expect(webhooks.map((w) => w.name)).toEqual(["label.capstan-u1.capstan.dev"]);
    expect(webhooks[0]).toMatchObject({
      failurePolicy: "Ignore",
      timeoutSeconds: 2,
      sideEffects: "None",
      reinvocationPolicy: "Never",
      clientConfig: { url: "https://127.0.0.1:9443/label/secret" },
      rules: [
        { apiGroups: [""], resources: ["configmaps"], operations: ["CREATE", "UPDATE"], scope: "Namespaced" },
        { apiGroups: [""], resources: ["secrets"], operations: ["CREATE", "UPDATE"], scope: "Namespaced" },
      ],
      objectSelector: { matchExpressions: [{ key: "capstan.dev/shard", operator: "DoesNotExist" }] },
    });
    const selector = webhooks[0]?.namespaceSelector as { matchExpressions: { operator: string; values: string[] }[] };
    expect(selector.matchExpressions.find((e) => e.operator === "In")?.values).toEqual(["team-a", "team-b"]);
  });

  it("is absent without controller.shards, and for a module that serves no admission", () => {
    const unsharded = sharded((cap) => {
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Watch(() => {});
      cap
        .When(a.Pod)
        .IsCreated()
        .Validate((req) => req.Approve());
    }, null);
    expect(labelsShards(unsharded)).toBe(false);
    expect(webhookConfigurations(unsharded, options).mutating).toBeUndefined();
    const controllerOnly = sharded((cap) => {
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Watch(() => {});
    });
    expect(labelsShards(controllerOnly)).toBe(false);
    expect(webhookConfigurations(controllerOnly, options).mutating).toBeUndefined();
  });
});

function request(object: unknown): AdmissionRequest {
  return {
    uid: "r1",
    kind: { group: "", version: "v1", kind: "ConfigMap" },
    resource: { group: "", version: "v1", resource: "configmaps" },
    name: "x",
    namespace: "team-a",
    operation: "CREATE",
    userInfo: {},
    object,
  } as AdmissionRequest;
}

const decode = (patch: string | undefined) => JSON.parse(Buffer.from(patch ?? "", "base64").toString("utf8"));

describe("the label webhook's answer", () => {
  const labeller = () => ({ "capstan.dev/shard": "replica-a" });

  it("adds the label whether the object has labels or not, and always allows", () => {
    const none = labelResponse(request({ metadata: { name: "x" } }), labeller, silent);
    expect(none).toMatchObject({ uid: "r1", allowed: true, patchType: "JSONPatch" });
    expect(decode(none.patch)).toEqual([
      { op: "add", path: "/metadata/labels", value: { "capstan.dev/shard": "replica-a" } },
    ]);
    const some = labelResponse(request({ metadata: { name: "x", labels: { app: "web" } } }), labeller, silent);
    expect(decode(some.patch)).toEqual([
      { op: "add", path: "/metadata/labels/capstan.dev~1shard", value: "replica-a" },
    ]);
  });

  it("changes nothing when the label is there, the labeller names none, or the labeller throws", () => {
    const labelled = request({ metadata: { labels: { "capstan.dev/shard": "replica-b" } } });
    expect(labelResponse(labelled, labeller, silent)).toEqual({ uid: "r1", allowed: true });
    expect(labelResponse(request({ metadata: {} }), () => undefined, silent)).toEqual({ uid: "r1", allowed: true });
    const throws = () => {
      throw new Error("no ring");
    };
    expect(labelResponse(request({ metadata: {} }), throws, silent)).toEqual({ uid: "r1", allowed: true });
    expect(labelResponse(request({ metadata: {} }), undefined, silent)).toEqual({ uid: "r1", allowed: true });
  });
});
