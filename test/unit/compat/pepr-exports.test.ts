import { compare, type Operation as FastJsonPatchOperation } from "fast-json-patch";
import { describe, expect, it } from "vitest";
import * as kfcFluentTypes from "../../../src/compat/kfc-fluent-types.ts";
import * as kfc from "../../../src/compat/kubernetes-fluent-client.ts";
import * as peprEnums from "../../../src/compat/pepr-lib-enums.ts";
import * as peprK8s from "../../../src/compat/pepr-lib-k8s.ts";
import type { Operation } from "../../../src/fluent/types.ts";
import * as capstan from "../../../src/index.ts";
import { registry } from "../../../src/telemetry/metrics.ts";

// Pepr 1.1.4's src/lib.ts exports exactly these names.
const peprMainEntry = [
  "metricsCollector",
  "Capability",
  "K8s",
  "Log",
  "PeprModule",
  "PeprMutateRequest",
  "PeprUtils",
  "PeprValidateRequest",
  "R",
  "RegisterKind",
  "a",
  "fetch",
  "fetchStatus",
  "kind",
  "sdk",
];

describe("Pepr's main entry", () => {
  it("exports every name Pepr 1.1.4's main entry exports", () => {
    const missing = peprMainEntry.filter((name) => (capstan as Record<string, unknown>)[name] === undefined);
    expect(missing).toEqual([]);
    expect(capstan.a).toBe(capstan.kind);
    for (const helper of ["containers", "writeEvent", "getOwnerRefFrom", "sanitizeResourceName"])
      expect(typeof (capstan.sdk as Record<string, unknown>)[helper]).toBe("function");
  });

  it("R is ramda, loaded on first use", () => {
    expect(capstan.R.equals({ a: [1] }, { a: [1] })).toBe(true);
    expect(capstan.R.pick(["a"], { a: 1, b: 2 })).toEqual({ a: 1 });
    expect(capstan.R.mergeDeepRight({ a: { b: 1 } }, { a: { c: 2 } })).toEqual({ a: { b: 1, c: 2 } });
    expect(Object.keys(capstan.R)).toContain("pipe");
  });

  it("PeprUtils decodes ASCII values, leaves binary ones encoded and names them, and encodes back", () => {
    const secret = {
      data: { text: capstan.PeprUtils.base64Encode("hello"), binary: Buffer.from([0, 255, 1]).toString("base64") },
    };
    const binary = secret.data.binary;
    const skipped = capstan.PeprUtils.convertFromBase64Map(secret);
    expect(skipped).toEqual(["binary"]);
    expect(secret.data).toEqual({ text: "hello", binary });
    capstan.PeprUtils.convertToBase64Map(secret, skipped);
    expect(secret.data).toEqual({ text: "aGVsbG8=", binary });
    expect(capstan.PeprUtils.isAscii.test("plain text\n")).toBe(true);
    expect(capstan.PeprUtils.base64Decode("aGVsbG8=")).toBe("hello");
  });

  it("metricsCollector puts pepr_-prefixed counters and gauges on capstan's registry", async () => {
    const { metricsCollector } = capstan;
    metricsCollector.addCounter("compat_test_hits", "hits seen by the test");
    metricsCollector.addCounter("compat_test_hits", "added twice: a no-op, as under Pepr");
    metricsCollector.incCounter("compat_test_hits");
    metricsCollector.incCounter("compat_test_hits");
    metricsCollector.addGauge("compat_test_depth", "depth", ["queue"]);
    metricsCollector.incGauge("compat_test_depth", { queue: "a" }, 3);
    metricsCollector.incCounter("compat_test_never_added");
    const text = await registry.metrics();
    expect(text).toContain("pepr_compat_test_hits 2");
    expect(text).toContain('pepr_compat_test_depth{queue="a"} 3');
    expect(await metricsCollector.getMetrics()).toBe(text);
    expect(typeof capstan.MetricsCollector.observeStart()).toBe("number");
  });
});

describe("kubernetes-fluent-client and Pepr's deep paths", () => {
  it("are capstan's own client, kinds and registry", () => {
    expect(kfc.K8s).toBe(capstan.K8s);
    expect(kfc.kind.Pod).toBe(capstan.a.Pod);
    expect(kfc.GenericKind).toBe(capstan.GenericKind);
    expect(kfc.RegisterKind).toBe(capstan.RegisterKind);
    expect(kfc.fetch).toBe(capstan.fetch);
    expect(kfc.fetchStatus.NOT_FOUND).toBe(404);
    expect(kfc.WatchPhase.Added).toBe("ADDED");
    expect(kfcFluentTypes.WatchPhase).toBe(kfc.WatchPhase);
    expect(kfc.WatchEvent.GIVE_UP).toBe("give_up");
    expect(kfc.modelToGroupVersionKind(kfc.kind.Deployment)).toEqual({
      kind: "Deployment",
      group: "apps",
      version: "v1",
    });
    expect(peprEnums.Operation.CREATE).toBe("CREATE");
    expect(peprK8s.peprStoreGVK).toEqual({ kind: "PeprStore", version: "v1", group: "pepr.dev" });
  });

  it("K8s().Patch takes fast-json-patch's operations as they are", () => {
    const operations: FastJsonPatchOperation[] = compare({ a: 1 }, { a: 2, b: 3 });
    // Type-checked by `npm run typecheck`: fast-json-patch's Operation[] is a Patch() argument.
    const accepted: Operation[] = operations;
    expect(accepted).toEqual([
      { op: "replace", path: "/a", value: 2 },
      { op: "add", path: "/b", value: 3 },
    ]);
  });
});
