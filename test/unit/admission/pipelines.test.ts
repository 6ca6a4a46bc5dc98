import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { runWithDeadline } from "../../../src/admission/deadline.ts";
import { AdmissionEngine } from "../../../src/admission/engine.ts";
import type { PatchOperation } from "../../../src/admission/json-patch.ts";
import { readAdmissionReview } from "../../../src/admission/review.ts";
import * as a from "../../../src/k8s/models.ts";
import type { AdmissionRequest, AdmissionResponse } from "../../../src/model/admission-request.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import type { OnError } from "../../../src/model/module-config.ts";
import { admissionRequest } from "../../../src/testing/index.ts";

const logger = pino({ level: "silent" });

function engineFor(onError: OnError, build: (cap: Capability) => void, webhookTimeout = 10): AdmissionEngine {
  const cap = new Capability({ name: "cap", description: "d" });
  build(cap);
  const module = new PeprModule({ capstan: { uuid: "u", onError, webhookTimeout } }, [cap], { deferStart: true });
  return new AdmissionEngine(module, { logger, marginMs: 0 });
}

/** A request as the API server sends it, built by the test kit. */
function request(
  kind: string,
  object: Record<string, unknown>,
  operation: AdmissionRequest["operation"] = "CREATE",
): AdmissionRequest {
  const full = { apiVersion: "v1", kind, ...object };
  return admissionRequest({
    uid: "uid-1",
    operation,
    object: full,
    oldObject: operation === "CREATE" ? undefined : full,
  });
}

const cm = (extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "x", namespace: "ns" },
  ...extra,
});
const patchOf = (response: AdmissionResponse): PatchOperation[] =>
  response.patch ? (JSON.parse(Buffer.from(response.patch, "base64").toString()) as PatchOperation[]) : [];

describe("the mutate pipeline", () => {
  it("allows untouched when no binding matches", async () => {
    const engine = engineFor("reject", (cap) =>
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .WithName("other")
        .Mutate(() => {}),
    );
    expect(await engine.review("mutate", request("ConfigMap", cm()), performance.now())).toEqual({
      uid: "uid-1",
      allowed: true,
    });
  });

  it("decodes Secret data for callbacks and patches only what changed, re-encoded", async () => {
    const engine = engineFor("reject", (cap) =>
      cap
        .When(a.Secret)
        .IsCreated()
        .Mutate((req) => {
          const data = req.Raw.data as Record<string, string>;
          expect(data.text).toBe("hello");
          expect(data.bin).toBe(Buffer.from([0xff, 0x00]).toString("base64"));
          data.text = "changed";
        }),
    );
    const secret = {
      metadata: { name: "x" },
      data: { text: Buffer.from("hello").toString("base64"), bin: Buffer.from([0xff, 0x00]).toString("base64") },
    };
    const response = await engine.review("mutate", request("Secret", secret), performance.now());
    expect(patchOf(response)).toEqual([
      { op: "add", path: "/metadata/annotations", value: { "u.capstan.dev/cap": "succeeded" } },
      { op: "replace", path: "/data/text", value: Buffer.from("changed").toString("base64") },
    ]);
  });

  it("under reject denies a throwing callback with no patch", async () => {
    const engine = engineFor("reject", (cap) =>
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Mutate((req) => {
          req.SetLabel("partial", "1");
          throw new Error("nope");
        }),
    );
    const response = await engine.review("mutate", request("ConfigMap", cm()), performance.now());
    expect(response).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(response.status?.message).toContain("cap/0-mutate-configmap");
    expect(response.patch).toBeUndefined();
  });

  it("under audit rolls back only the failing binding and records an audit annotation", async () => {
    const engine = engineFor("audit", (cap) => {
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Mutate((req) => {
          req.SetLabel("first", "1");
        });
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Mutate((req) => {
          req.SetLabel("second", "1");
          throw new Error("second failed");
        });
    });
    const response = await engine.review("mutate", request("ConfigMap", cm()), performance.now());
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual(["Action failed: second failed"]);
    expect(response.auditAnnotations).toEqual({ "cap.1-mutate-configmap": "Action failed: second failed" });
    expect(patchOf(response)).toEqual([
      { op: "add", path: "/metadata/labels", value: { first: "1" } },
      { op: "add", path: "/metadata/annotations", value: { "u.capstan.dev/cap": "warning" } },
    ]);
  });

  it("gives each callback a share of the budget and abandons one that overruns", async () => {
    const engine = engineFor(
      "ignore",
      (cap) => {
        cap
          .When(a.ConfigMap)
          .IsCreated()
          .Mutate(async () => {
            await sleep(5000);
          });
        cap
          .When(a.ConfigMap)
          .IsCreated()
          .Mutate((req) => {
            req.SetLabel("ran", "1");
          });
      },
      1,
    );
    const started = performance.now();
    const response = await engine.review("mutate", request("ConfigMap", cm()), started);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.warnings?.[0]).toMatch(/did not finish within its share of the 1s webhook timeout/);
    expect(patchOf(response)[0]).toEqual({ op: "add", path: "/metadata/labels", value: { ran: "1" } });
  });

  it("patches to a Raw the callback replaced whole", async () => {
    const engine = engineFor("reject", (cap) =>
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Mutate((req) => {
          req.Raw = { ...req.Raw, data: { replaced: "yes" } };
        }),
    );
    const response = await engine.review("mutate", request("ConfigMap", cm()), performance.now());
    expect(patchOf(response)).toContainEqual({ op: "add", path: "/data", value: { replaced: "yes" } });
  });

  it("runs on DELETE without patching", async () => {
    let seen = "";
    const engine = engineFor("reject", (cap) =>
      cap
        .When(a.ConfigMap)
        .IsDeleted()
        .Mutate((req) => {
          seen = req.Raw.metadata?.name ?? "";
        }),
    );
    const response = await engine.review("mutate", request("ConfigMap", cm(), "DELETE"), performance.now());
    expect(seen).toBe("x");
    expect(response).toEqual({ uid: "uid-1", allowed: true });
  });
});

describe("module hooks", () => {
  it("run before and after each request, and a throwing hook does not decide the request", async () => {
    const seen: string[] = [];
    const cap = new Capability({ name: "cap", description: "d" });
    cap
      .When(a.ConfigMap)
      .IsCreated()
      .Validate((req) => req.Approve());
    const module = new PeprModule({ pepr: { uuid: "u", onError: "reject" } }, [cap], {
      deferStart: true,
      beforeHook: (req) => {
        seen.push(`before ${req.uid}`);
        throw new Error("hook bug");
      },
      afterHook: (res) => seen.push(`after ${res.uid} ${res.allowed}`),
    });
    const engine = new AdmissionEngine(module, { logger });
    const response = await engine.review("validate", request("ConfigMap", cm()), performance.now());
    expect(response.allowed).toBe(true);
    expect(seen).toEqual(["before uid-1", "after uid-1 true"]);
  });
});

describe("the validate pipeline", () => {
  it("joins denials (first code, messages with '; ') and warnings", async () => {
    const engine = engineFor("reject", (cap) => {
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Validate((req) => req.Approve(["w1"]));
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Validate((req) => req.Deny("first", 403, ["w2"]));
      cap
        .When(a.ConfigMap)
        .IsCreated()
        .Validate((req) => req.Deny());
    });
    const response = await engine.review("validate", request("ConfigMap", cm()), performance.now());
    expect(response).toEqual({
      uid: "uid-1",
      allowed: false,
      status: { code: 403, message: "first; Validation failed for ConfigMap/x in ns namespace." },
      warnings: ["w1", "w2"],
    });
  });

  it("denies a callback that returns nothing or throws, and under audit allows one that overruns", async () => {
    const engine = engineFor(
      "audit",
      (cap) => {
        cap
          .When(a.ConfigMap)
          .IsCreated()
          .WithName("void")
          .Validate((() => undefined) as never);
        cap
          .When(a.ConfigMap)
          .IsCreated()
          .WithName("slow")
          .Validate(async (req) => {
            await sleep(5000);
            return req.Approve();
          });
      },
      1,
    );
    const empty = await engine.review(
      "validate",
      request("ConfigMap", cm({ metadata: { name: "void" } })),
      performance.now(),
    );
    expect(empty).toMatchObject({ allowed: false, status: { code: 500 } });
    const slow = await engine.review(
      "validate",
      request("ConfigMap", cm({ metadata: { name: "slow" } })),
      performance.now(),
    );
    expect(slow.allowed).toBe(true);
    expect(Object.keys(slow.auditAnnotations ?? {})).toEqual(["cap.1-validate-configmap"]);
  });
});

describe("runWithDeadline", () => {
  it("reports done, failed (also for synchronous throws) and overran", async () => {
    expect(await runWithDeadline(() => 1, 100)).toEqual({ kind: "done", value: 1 });
    expect(
      await runWithDeadline(() => {
        throw new Error("x");
      }, 100),
    ).toMatchObject({ kind: "failed" });
    expect(await runWithDeadline(() => sleep(200), 20)).toMatchObject({ kind: "overran" });
    expect(
      await runWithDeadline(() => {
        const end = performance.now() + 30;
        while (performance.now() < end) {}
      }, 5),
    ).toMatchObject({ kind: "overran" });
  });
});

describe("readAdmissionReview", () => {
  it("names what is wrong", () => {
    expect(readAdmissionReview([])).toMatchObject({ ok: false, message: expect.stringMatching(/JSON object/) });
    const base = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" };
    expect(readAdmissionReview(base)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/request is missing/),
    });
    const request = { uid: "u", operation: "PATCH", kind: { group: "", version: "v1", kind: "Pod" } };
    expect(readAdmissionReview({ ...base, request })).toMatchObject({
      message: expect.stringMatching(/operation must be/),
    });
    expect(readAdmissionReview({ ...base, request: { ...request, operation: "DELETE" } })).toMatchObject({
      message: "request.oldObject is missing for DELETE",
    });
  });
});
