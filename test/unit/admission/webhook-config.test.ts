import { describe, expect, it } from "vitest";
import { sharedObjectSelector, webhookConfigurations } from "../../../src/admission/webhook-config.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";

function moduleWith(onError: "reject" | "ignore", build: (cap: Capability) => void) {
  const cap = new Capability({ name: "c", description: "d", namespaces: ["team-a"] });
  build(cap);
  return new PeprModule(
    { capstan: { uuid: "u1", onError, webhookTimeout: 7, alwaysIgnore: { namespaces: ["skip"] } } },
    [cap],
    {
      deferStart: true,
    },
  );
}

describe("webhook configurations", () => {
  it("generate rules, selectors, policy and client config from the bindings", () => {
    const module = moduleWith("reject", (cap) => {
      cap
        .When(a.Pod)
        .IsCreated()
        .WithLabel("app")
        .Mutate(() => {});
      cap
        .When(a.Pod)
        .IsUpdated()
        .WithLabel("app", "web")
        .Mutate(() => {});
    });
    const { mutating, validating } = webhookConfigurations(module, {
      endpoint: { url: "https://127.0.0.1:9443/" },
      apiPath: "secret",
      caBundle: "PEM",
    });
    expect(validating).toBeUndefined();
    expect(mutating?.metadata).toEqual({ name: "capstan-u1", labels: { "capstan.dev/module": "u1" } });
    const [webhook] = (mutating?.webhooks ?? []) as Record<string, unknown>[];
    expect(webhook).toMatchObject({
      name: "mutate.capstan-u1.capstan.dev",
      failurePolicy: "Fail",
      timeoutSeconds: 7,
      sideEffects: "None",
      reinvocationPolicy: "Never",
      clientConfig: { url: "https://127.0.0.1:9443/mutate/secret", caBundle: Buffer.from("PEM").toString("base64") },
      rules: [
        {
          apiGroups: [""],
          apiVersions: ["v1"],
          resources: ["pods", "pods/ephemeralcontainers"],
          scope: "Namespaced",
          operations: ["CREATE", "UPDATE"],
        },
      ],
      namespaceSelector: {
        matchExpressions: [
          { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["capstan-system", "kube-system", "skip"] },
          { key: "kubernetes.io/metadata.name", operator: "In", values: ["team-a"] },
        ],
      },
      objectSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
    });
  });

  it("use Ignore for audit/ignore, a Service endpoint, and no namespace In for cluster-wide bindings", () => {
    const cap = new Capability({ name: "c", description: "d" });
    cap
      .When(a.Namespace)
      .IsCreated()
      .Validate(() => ({ allowed: true }));
    const module = new PeprModule({ capstan: { uuid: "u2", onError: "ignore" } }, [cap], { deferStart: true });
    const { validating } = webhookConfigurations(module, {
      endpoint: { service: { name: "capstan-u2", namespace: "capstan-system" } },
      apiPath: "p",
      caBundle: "PEM",
      sideEffects: "NoneOnDryRun",
    });
    const [webhook] = (validating?.webhooks ?? []) as Record<string, unknown>[];
    expect(webhook).toMatchObject({
      failurePolicy: "Ignore",
      sideEffects: "NoneOnDryRun",
      clientConfig: { service: { name: "capstan-u2", namespace: "capstan-system", port: 443, path: "/validate/p" } },
      rules: [{ resources: ["namespaces"], scope: "Cluster" }],
    });
    expect((webhook?.namespaceSelector as { matchExpressions: unknown[] } | undefined)?.matchExpressions).toHaveLength(
      1,
    );
    expect(webhook?.objectSelector).toBeUndefined();
  });

  it("share only label requirements every binding has", () => {
    const cap = new Capability({ name: "c", description: "d" });
    cap
      .When(a.Pod)
      .IsCreated()
      .WithLabel("team", "x")
      .WithLabel("only-here")
      .Mutate(() => {});
    cap
      .When(a.Pod)
      .IsCreated()
      .WithLabel("team", "y")
      .Mutate(() => {});
    expect(sharedObjectSelector(cap.bindings)).toEqual({
      matchExpressions: [{ key: "team", operator: "In", values: ["x", "y"] }],
    });
  });
});

describe("additionalWebhooks", () => {
  it("adds one entry per namespace with its own failurePolicy, and keeps that namespace out of the main entry", () => {
    const cap = new Capability({ name: "c", description: "d" });
    cap
      .When(a.ConfigMap)
      .IsCreated()
      .Validate(() => ({ allowed: true }));
    const module = new PeprModule(
      {
        capstan: {
          uuid: "u3",
          onError: "ignore",
          additionalWebhooks: [{ namespace: "critical", failurePolicy: "Fail" }],
        },
      },
      [cap],
      { deferStart: true },
    );
    const { validating } = webhookConfigurations(module, {
      endpoint: { url: "https://h" },
      apiPath: "p",
      caBundle: "PEM",
    });
    const [main, extra] = (validating?.webhooks ?? []) as Record<string, unknown>[];
    expect(main).toMatchObject({
      failurePolicy: "Ignore",
      namespaceSelector: {
        matchExpressions: [{ operator: "NotIn", values: ["capstan-system", "critical", "kube-system"] }],
      },
    });
    expect(extra).toMatchObject({
      name: "validate.capstan-u3-critical.capstan.dev",
      failurePolicy: "Fail",
      namespaceSelector: {
        matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["critical"] }],
      },
    });
  });
});

describe("matchConditions", () => {
  it("are left out when the expression would pass the API server's size limit", () => {
    const cap = new Capability({ name: "c", description: "d" });
    for (let i = 0; i < 1000; i++)
      cap
        .When(a.Pod)
        .IsCreated()
        .WithName(`pod-${i}`)
        .WithLabel(`team-${i}`, "x")
        .Mutate(() => {});
    const module = new PeprModule({ capstan: { uuid: "big", onError: "ignore" } }, [cap], { deferStart: true });
    const { mutating } = webhookConfigurations(module, {
      endpoint: { url: "https://h" },
      apiPath: "p",
      caBundle: "PEM",
    });
    const [webhook] = (mutating?.webhooks ?? []) as Record<string, unknown>[];
    expect(webhook?.matchConditions).toBeUndefined();
    expect(webhook?.rules).toHaveLength(1);
  });
});

describe("matchConditions that would only say what the rules and namespaceSelector say", () => {
  const options = { endpoint: { url: "https://h" }, apiPath: "p", caBundle: "PEM" };
  const mutatingWebhook = (module: PeprModule) =>
    ((webhookConfigurations(module, options).mutating?.webhooks ?? []) as Record<string, unknown>[])[0];

  it("are left out: kinds, operations and one shared namespace list", () => {
    const module = moduleWith("reject", (cap) => {
      cap
        .When(a.Pod)
        .IsCreated()
        .Mutate(() => {});
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .InNamespace("team-a")
        .Mutate(() => {});
    });
    const webhook = mutatingWebhook(module);
    expect(webhook?.matchConditions).toBeUndefined();
    expect(JSON.stringify(webhook?.namespaceSelector)).toContain('"operator":"In","values":["team-a"]');
  });

  it("are kept when bindings take different namespaces, filter on the object, or extra webhooks exist", () => {
    const two = new Capability({ name: "c", description: "d", namespaces: ["team-a", "team-b"] });
    two
      .When(a.Pod)
      .IsCreated()
      .InNamespace("team-a")
      .Mutate(() => {});
    two
      .When(a.ConfigMap)
      .IsCreated()
      .InNamespace("team-b")
      .Mutate(() => {});
    const namespaces = new PeprModule({ capstan: { uuid: "u3", onError: "reject" } }, [two], { deferStart: true });
    expect(JSON.stringify(mutatingWebhook(namespaces)?.matchConditions)).toContain("request.namespace in ['team-a']");
    const named = moduleWith("reject", (cap) => {
      cap
        .When(a.Pod)
        .IsCreated()
        .WithName("one")
        .Mutate(() => {});
    });
    expect(JSON.stringify(mutatingWebhook(named)?.matchConditions)).toContain("object.metadata.name == 'one'");
    const cap = new Capability({ name: "c", description: "d", namespaces: ["team-a"] });
    cap
      .When(a.Pod)
      .IsCreated()
      .Mutate(() => {});
    const extra = new PeprModule(
      {
        capstan: { uuid: "u2", onError: "reject", additionalWebhooks: [{ namespace: "other", failurePolicy: "Fail" }] },
      },
      [cap],
      { deferStart: true },
    );
    expect(mutatingWebhook(extra)?.matchConditions).toBeDefined();
  });
});
