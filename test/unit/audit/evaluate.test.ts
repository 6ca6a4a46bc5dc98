import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { ModuleEvaluator } from "../../../src/audit/index.ts";
import { K8s, setDefaultClient } from "../../../src/fluent/index.ts";
import type { ApiClient, ApiRequest, ResolvedKind } from "../../../src/k8s/index.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import type { OnError } from "../../../src/model/module-config.ts";

const configMapKind: ResolvedKind = {
  kind: "ConfigMap",
  group: "",
  version: "v1",
  plural: "configmaps",
  namespaced: true,
  apiVersion: "v1",
};

function moduleOf(build: (cap: Capability) => void, onError: OnError = "reject", webhookTimeout = 10) {
  const cap = new Capability({ name: "cap", description: "d" });
  build(cap);
  return new PeprModule({ capstan: { uuid: "u", onError, webhookTimeout } }, [cap], { deferStart: true });
}

const cm = (name: string, data: Record<string, string> = {}, namespace = "ns") => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, labels: { app: name } },
  data,
});

/** A client that records requests and answers each with its body. */
function recordingClient(): { client: ApiClient; requests: ApiRequest[] } {
  const requests: ApiRequest[] = [];
  const client = {
    request: async (request: ApiRequest) => {
      requests.push(request);
      return request.body ?? {};
    },
  } as unknown as ApiClient;
  return { client, requests };
}

afterEach(() => setDefaultClient(undefined));

describe("ModuleEvaluator", () => {
  it("returns pass, fail with the message, warn, error and skip per binding, with the binding's alias as rule", async () => {
    const module = moduleOf((cap) => {
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .Alias("needs-owner")
        .Validate((req) => (req.Raw.data?.owner ? req.Approve() : req.Deny("data.owner is required", 422)));
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Validate((req) => req.Approve(req.Raw.data?.legacy ? ["legacy is deprecated"] : undefined));
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .WithLabel("app", "boom")
        .Validate(() => {
          throw new Error("kaput");
        });
      cap
        .When(a.ConfigMap)
        .IsDeleted()
        .Validate((req) => req.Deny("never judged"));
    });
    const evaluator = new ModuleEvaluator(module);
    expect(evaluator.kinds().map((kind) => kind.kind)).toEqual(["ConfigMap"]);
    expect(evaluator.bindingsOf(configMapKind)).toHaveLength(3);

    const good = await evaluator.evaluate(configMapKind, cm("good", { owner: "me" }));
    expect(good.map((e) => e.result)).toEqual(["pass", "pass", "skip"]);
    expect(good[0]?.rule).toBe("needs-owner");
    expect(good[2]?.message).toContain("app");

    const bad = await evaluator.evaluate(configMapKind, cm("boom", { legacy: "1" }));
    expect(bad.map((e) => e.result)).toEqual(["fail", "warn", "error"]);
    expect(bad[0]).toMatchObject({ message: "data.owner is required", code: 422 });
    expect(bad[1]?.warnings).toEqual(["legacy is deprecated"]);
    expect(bad[1]?.rule).toMatch(/^cap\/1-validate/);
    expect(bad[2]?.message).toBe("Action failed with error: kaput");
  });

  it("uses admission's default deny message and namespace filters", async () => {
    const module = moduleOf((cap) =>
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .InNamespace("prod")
        .Validate((req) => req.Deny()),
    );
    const evaluator = new ModuleEvaluator(module);
    const [prod] = await evaluator.evaluate(configMapKind, cm("x", {}, "prod"));
    expect(prod).toMatchObject({ result: "fail", message: "Validation failed for ConfigMap/x in prod namespace." });
    const [dev] = await evaluator.evaluate(configMapKind, cm("x", {}, "dev"));
    expect(dev?.result).toBe("skip");
  });

  it("a callback that overruns the admission deadline is an error under reject and a warning otherwise", async () => {
    const slow = (cap: Capability) =>
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .Validate(async (req) => {
          await sleep(3000);
          return req.Approve();
        });
    const rejecting = new ModuleEvaluator(moduleOf(slow, "reject", 1));
    expect(rejecting.budgetMs).toBe(500);
    const [rejected] = await rejecting.evaluate(configMapKind, cm("x"));
    expect(rejected?.result).toBe("error");
    expect(rejected?.message).toContain("did not finish within the admission deadline of 500 ms");
    const [ignored] = await new ModuleEvaluator(moduleOf(slow, "ignore", 1)).evaluate(configMapKind, cm("x"));
    expect(ignored?.result).toBe("warn");
  });

  it("runs Mutate bindings only when asked, and reports their patch without the status annotation", async () => {
    const module = moduleOf((cap) => {
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .Mutate((req) => req.SetLabel("team", "core"));
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .Mutate(() => {});
    });
    expect(new ModuleEvaluator(module).bindingsOf(configMapKind)).toHaveLength(0);
    const evaluator = new ModuleEvaluator(module, { actions: "validate+mutate" });
    const object = cm("x");
    const [labelled, untouched] = await evaluator.evaluate(configMapKind, object);
    expect(labelled).toMatchObject({
      result: "pass",
      patch: [{ op: "add", path: "/metadata/labels/team", value: "core" }],
    });
    expect(untouched?.patch).toBeUndefined();
    expect(object.metadata.labels).toEqual({ app: "x" });
  });

  it("turns K8s() writes inside callbacks into server-side dry runs and reports them; reads and code outside are unchanged", async () => {
    const { client, requests } = recordingClient();
    setDefaultClient(client);
    const module = moduleOf((cap) =>
      cap
        .When(a.ConfigMap)
        .IsCreatedOrUpdated()
        .Validate(async (req) => {
          await K8s(a.ConfigMap).InNamespace("ns").Get("peek");
          await K8s(a.ConfigMap).Apply({ metadata: { name: "side", namespace: "ns" }, data: { a: "1" } });
          await K8s(a.ConfigMap, {}).Raw("/api/v1/namespaces/ns/configmaps?fieldManager=x", "POST");
          return req.Approve();
        }),
    );
    const [evaluation] = await new ModuleEvaluator(module).evaluate(configMapKind, cm("x"));
    expect(evaluation?.result).toBe("pass");
    expect(evaluation?.dryRunWrites).toEqual([
      { method: "PATCH", path: "/api/v1/namespaces/ns/configmaps/side" },
      { method: "POST", path: "/api/v1/namespaces/ns/configmaps?fieldManager=x" },
    ]);
    expect(requests[0]?.query?.dryRun).toBeUndefined();
    expect(requests[1]?.query?.dryRun).toBe("All");
    expect(requests[2]?.path).toBe("/api/v1/namespaces/ns/configmaps?fieldManager=x&dryRun=All");

    await K8s(a.ConfigMap).Apply({ metadata: { name: "outside", namespace: "ns" } });
    expect(requests[3]?.query?.dryRun).toBeUndefined();
  });
});
