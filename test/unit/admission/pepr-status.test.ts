import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AdmissionEngine } from "../../../src/admission/engine.ts";
import type { PatchOperation } from "../../../src/admission/json-patch.ts";
import * as a from "../../../src/k8s/models.ts";
import type { AdmissionResponse } from "../../../src/model/admission-request.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import type { PackageJSON } from "../../../src/model/module-config.ts";
import { admissionRequest } from "../../../src/testing/index.ts";

// Pepr 1.1.4 (src/lib/processors/mutate-processor.ts): before each Mutate callback the capability's
// annotation `<uuid>.pepr.dev/<capability>` is `started`, after it `succeeded` or `warning`; the
// capability's last binding decides the value the object keeps. Never on DELETE.

const logger = pino({ level: "silent" });
const patchOf = (response: AdmissionResponse): PatchOperation[] =>
  response.patch ? (JSON.parse(Buffer.from(response.patch, "base64").toString()) as PatchOperation[]) : [];
const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "ns" } };

function engine(pkg: (config: { uuid: string; onError: "ignore" }) => PackageJSON, capabilities: Capability[]) {
  const module = new PeprModule(pkg({ uuid: "u1", onError: "ignore" }), capabilities, { deferStart: true });
  return new AdmissionEngine(module, { logger, marginMs: 0 });
}

function mutating(seen: (string | undefined)[]): Capability[] {
  const first = new Capability({ name: "first", description: "d" });
  first
    .When(a.ConfigMap)
    .IsCreated()
    .Mutate((request) => {
      seen.push(request.Raw.metadata?.annotations?.["u1.pepr.dev/first"]);
      throw new Error("first binding fails");
    });
  first
    .When(a.ConfigMap)
    .IsCreated()
    .Mutate((request) => {
      seen.push(request.Raw.metadata?.annotations?.["u1.pepr.dev/first"]);
      request.SetLabel("done", "yes");
    });
  const second = new Capability({ name: "second", description: "d" });
  second
    .When(a.ConfigMap)
    .IsCreated()
    .Mutate(() => {});
  return [first, second];
}

describe("mutation status annotations", () => {
  it("Pepr mode: callbacks see `started`, the last binding decides, under <uuid>.pepr.dev/", async () => {
    const seen: (string | undefined)[] = [];
    const review = engine((pepr) => ({ pepr }), mutating(seen));
    const response = await review.review("mutate", admissionRequest({ uid: "r1", object: cm }), performance.now());
    expect(seen).toEqual(["started", "started"]);
    expect(response.warnings).toEqual(["Action failed: first binding fails"]);
    const patch = patchOf(response);
    expect(patch).toHaveLength(2);
    expect(patch).toEqual(
      expect.arrayContaining([
        { op: "add", path: "/metadata/labels", value: { done: "yes" } },
        {
          op: "add",
          path: "/metadata/annotations",
          value: { "u1.pepr.dev/first": "succeeded", "u1.pepr.dev/second": "succeeded" },
        },
      ]),
    );
  });

  it("Pepr mode: a failing last binding leaves `warning`", async () => {
    const cap = new Capability({ name: "only", description: "d" });
    cap
      .When(a.ConfigMap)
      .IsCreated()
      .Mutate(() => {
        throw new Error("no");
      });
    const response = await engine((pepr) => ({ pepr }), [cap]).review(
      "mutate",
      admissionRequest({ uid: "r2", object: cm }),
      performance.now(),
    );
    expect(patchOf(response)).toEqual([
      { op: "add", path: "/metadata/annotations", value: { "u1.pepr.dev/only": "warning" } },
    ]);
  });

  it("capstan mode: <uuid>.capstan.dev/, and a failed binding leaves `warning` for its capability", async () => {
    const seen: (string | undefined)[] = [];
    const response = await engine((capstan) => ({ capstan }), mutating(seen)).review(
      "mutate",
      admissionRequest({ uid: "r3", object: cm }),
      performance.now(),
    );
    expect(seen).toEqual([undefined, undefined]);
    expect(patchOf(response)).toContainEqual({
      op: "add",
      path: "/metadata/annotations",
      value: { "u1.capstan.dev/first": "warning", "u1.capstan.dev/second": "succeeded" },
    });
  });

  it("Pepr mode: Finalize adds pepr.dev/finalizer; capstan mode capstan.dev/finalizer", async () => {
    const build = () => {
      const cap = new Capability({ name: "fin", description: "d" });
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Watch(() => {})
        .Finalize(() => {});
      return [cap];
    };
    const request = () => admissionRequest({ uid: "r4", object: cm });
    const pepr = await engine((c) => ({ pepr: c }), build()).review("mutate", request(), performance.now());
    const capstan = await engine((c) => ({ capstan: c }), build()).review("mutate", request(), performance.now());
    expect(patchOf(pepr)).toContainEqual({ op: "add", path: "/metadata/finalizers", value: ["pepr.dev/finalizer"] });
    expect(patchOf(capstan)).toContainEqual({
      op: "add",
      path: "/metadata/finalizers",
      value: ["capstan.dev/finalizer"],
    });
  });
});
