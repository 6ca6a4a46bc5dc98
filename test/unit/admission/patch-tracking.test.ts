import { setTimeout as sleep } from "node:timers/promises";
import jsonPatch, { type Operation } from "fast-json-patch";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AdmissionEngine } from "../../../src/admission/engine.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import * as a from "../../../src/k8s/models.ts";
import type { AdmissionResponse } from "../../../src/model/admission-request.ts";
import { Capability } from "../../../src/model/capability.ts";
import { cloneJson } from "../../../src/model/json.ts";
import { PeprModule } from "../../../src/model/module.ts";
import type { OnError } from "../../../src/model/module-config.ts";
import { PeprMutateRequest } from "../../../src/model/mutate-request.ts";
import { WorkingObject } from "../../../src/model/working-object.ts";
import { admissionRequest } from "../../../src/testing/index.ts";

// The helpers copy only what they change and `Raw` switches to a full copy (WorkingObject): every
// patch here is applied with fast-json-patch to the original and must give exactly the mutated object.

type Thing = KubernetesObject & { spec?: Record<string, unknown> };
type Mutation = (req: PeprMutateRequest<Thing>) => void | Promise<void>;
const STATUS = "u.capstan.dev/cap";

function engineFor(
  onError: OnError,
  mutations: readonly Mutation[],
  webhookTimeout = 10,
  kind: typeof a.ConfigMap | typeof a.Secret = a.ConfigMap,
): AdmissionEngine {
  const cap = new Capability({ name: "cap", description: "d" });
  for (const mutation of mutations)
    cap
      .When(kind)
      .IsCreated()
      .Mutate(mutation as never);
  const module = new PeprModule({ capstan: { uuid: "u", onError, webhookTimeout } }, [cap], { deferStart: true });
  return new AdmissionEngine(module, { logger: pino({ level: "silent" }), marginMs: 0 });
}

async function mutated(object: Thing, mutations: readonly Mutation[], kind = "ConfigMap", onError: OnError = "reject") {
  const engine = engineFor(onError, mutations, 10, kind === "Secret" ? a.Secret : a.ConfigMap);
  const request = admissionRequest({
    uid: "uid-1",
    operation: "CREATE",
    object: { apiVersion: "v1", kind, ...object },
  });
  const before = cloneJson(request.object);
  const response = await engine.review("mutate", request, performance.now());
  // The request's object is never changed, whatever the callbacks did.
  expect(request.object).toEqual(before);
  const ops = patchOf(response);
  const result = jsonPatch.applyPatch(cloneJson(before), ops, true, false).newDocument;
  return { response, ops, result, before };
}

const patchOf = (response: AdmissionResponse): Operation[] =>
  response.patch ? (JSON.parse(Buffer.from(response.patch, "base64").toString()) as Operation[]) : [];

const thing = (): Thing =>
  ({
    metadata: { name: "x", namespace: "ns", labels: { keep: "1", "a/b": "2", "t~x": "3" } },
    spec: { list: [1, { deep: { value: "v" } }, 3], nested: { a: { b: "c" } } },
  }) as Thing;

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("patches built from what callbacks changed", () => {
  it("helpers alone patch only metadata, escaping ~ and / in keys", async () => {
    const { ops, result, before } = await mutated(thing(), [
      (req) => {
        req.SetLabel("new/key", "v").SetLabel("a/b", "9").RemoveLabel("t~x").SetAnnotation("x~y/z", "1");
        expect(req.HasLabel("new/key")).toBe(true);
        expect(req.HasLabel("t~x")).toBe(false);
      },
    ]);
    expect(ops.every((op) => op.path.startsWith("/metadata/"))).toBe(true);
    expect(ops).toContainEqual({ op: "add", path: "/metadata/labels/new~1key", value: "v" });
    expect(ops).toContainEqual({ op: "remove", path: "/metadata/labels/t~0x" });
    expect(result).toEqual({
      ...before,
      metadata: {
        ...before.metadata,
        labels: { keep: "1", "a/b": "9", "new/key": "v" },
        annotations: { "x~y/z": "1", [STATUS]: "succeeded" },
      },
    });
  });

  it("helpers create metadata, labels and annotations that are missing", async () => {
    const { result } = await mutated({ spec: { a: 1 } } as Thing, [(req) => void req.SetLabel("l", "1")]);
    expect(result).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      spec: { a: 1 },
      metadata: { labels: { l: "1" }, annotations: { [STATUS]: "succeeded" } },
    });
  });

  it("Merge without Raw merges objects, replaces arrays and leaves the original untouched", async () => {
    const { result, before } = await mutated(thing(), [
      (req) => req.Merge({ spec: { list: [7], nested: { a: { d: "e" } } }, metadata: { labels: { m: "1" } } } as never),
      (req) => void req.SetLabel("after", "merge"),
    ]);
    const expected = cloneJson(before) as Record<string, never>;
    Object.assign(expected, {
      spec: { list: [7], nested: { a: { b: "c", d: "e" } } },
      metadata: {
        ...before.metadata,
        labels: { ...before.metadata?.labels, m: "1", after: "merge" },
        annotations: { [STATUS]: "succeeded" },
      },
    });
    expect(result).toEqual(expected);
  });

  it("Raw writes anywhere: nested members, deletes, arrays, after and before helpers", async () => {
    const { result, before } = await mutated(thing(), [
      (req) => void req.SetLabel("first", "1"),
      (req) => {
        expect(req.Raw.metadata?.labels?.first).toBe("1");
        const spec = req.Raw.spec as { list: unknown[]; nested: { a: Record<string, string> } };
        (spec.list[1] as { deep: { value: string } }).deep.value = "changed";
        spec.list.push({ added: true });
        spec.list.splice(0, 1);
        delete spec.nested.a.b;
        spec.nested.a["x/y~z"] = "w";
        req.SetAnnotation("late", "1").RemoveLabel("keep");
      },
    ]);
    expect(result).toEqual({
      ...before,
      metadata: {
        ...before.metadata,
        labels: { "a/b": "2", "t~x": "3", first: "1" },
        annotations: { late: "1", [STATUS]: "succeeded" },
      },
      spec: { list: [{ deep: { value: "changed" } }, 3, { added: true }], nested: { a: { "x/y~z": "w" } } },
    });
  });

  it("rolls a failing binding back to the state before it, in either mode", async () => {
    for (const fail of [
      (req: PeprMutateRequest<Thing>) => {
        req.SetLabel("dropped", "1").Merge({ spec: { dropped: true } } as never);
        throw new Error("no");
      },
      (req: PeprMutateRequest<Thing>) => {
        (req.Raw.spec as Record<string, unknown>).dropped = true;
        throw new Error("no");
      },
    ]) {
      const { result, before } = await mutated(
        thing(),
        [(req) => void req.SetLabel("kept", "1"), fail],
        "ConfigMap",
        "audit",
      );
      expect(result).toEqual({
        ...before,
        metadata: {
          ...before.metadata,
          labels: { ...before.metadata?.labels, kept: "1" },
          annotations: { [STATUS]: "warning" },
        },
      });
    }
  });

  it("an abandoned callback that goes on changing its request reaches neither the patch nor the original", async () => {
    let late: Promise<void> | undefined;
    const engine = engineFor(
      "ignore",
      [
        (req) => {
          late = sleep(1500).then(() => {
            req.SetLabel("late", "1");
            (req.Raw.spec as Record<string, unknown>).late = true;
          });
          return late;
        },
        (req) => void req.SetLabel("next", "1"),
      ],
      1,
    );
    const request = admissionRequest({
      uid: "uid-1",
      operation: "CREATE",
      object: { apiVersion: "v1", kind: "ConfigMap", ...thing() },
    });
    const before = cloneJson(request.object) as Thing;
    const response = await engine.review("mutate", request, performance.now());
    await late;
    expect(request.object).toEqual(before);
    const result = jsonPatch.applyPatch(cloneJson(before), patchOf(response), true, false).newDocument;
    expect(result.metadata?.labels).toEqual({ ...before.metadata?.labels, next: "1" });
    expect(result.spec).toEqual(before.spec);
  });

  it("Secret data: untouched by helpers, decoded for Raw and Merge, re-encoded in the patch", async () => {
    const secret = {
      metadata: { name: "s" },
      data: { text: b64("hello"), bin: Buffer.from([0xff, 0]).toString("base64") },
    } as KubernetesObject;
    const labelled = await mutated(secret, [(req) => void req.SetLabel("l", "1")], "Secret");
    expect(labelled.ops.some((op) => op.path.startsWith("/data"))).toBe(false);

    const merged = await mutated(secret, [(req) => req.Merge({ data: { added: "plain" } } as never)], "Secret");
    expect((merged.result as { data: Record<string, string> }).data).toEqual({
      ...(secret as { data: object }).data,
      added: b64("plain"),
    });

    const written = await mutated(
      secret,
      [
        (req) => {
          const data = (req.Raw as { data: Record<string, string> }).data;
          expect(data.text).toBe("hello");
          data.text = "ünïcode";
        },
      ],
      "Secret",
    );
    expect(written.ops.filter((op) => op.path.startsWith("/data"))).toEqual([
      { op: "replace", path: "/data/text", value: b64("ünïcode") },
    ]);
  });

  it("matches a full copy changed in place for random sequences of helper, Merge and Raw edits", async () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const keys = ["a", "b/c", "d~e", "f"];
    const edits: Mutation[] = [
      (req) => void req.SetLabel(pick(keys), pick(["1", "2", ""])),
      (req) => void req.SetAnnotation(pick(keys), pick(["1", "2"])),
      (req) => void req.RemoveLabel(pick(keys)),
      (req) => void req.RemoveAnnotation(pick(keys)),
      (req) => req.Merge({ spec: { [pick(keys)]: pick([1, [1, 2], { z: pick(keys) }]) } } as never),
      (req) => req.Merge({ metadata: { labels: { [pick(keys)]: "m" } } } as never),
      (req) => {
        req.Raw.spec ??= {};
        const spec = req.Raw.spec as Record<string, unknown>;
        spec[pick(keys)] = pick([2, "s", [3]]);
      },
      (req) => {
        const labels = req.Raw.metadata?.labels;
        if (labels) delete labels[pick(keys)];
      },
    ];
    for (let round = 0; round < 200; round++) {
      const object = {
        metadata: { name: "x", labels: { a: "0", "d~e": "" } },
        spec: { a: 1, "b/c": { z: "a" } },
      } as Thing;
      const steps = Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(edits));
      // The reference: every edit applied in place to one full copy, as before patch tracking.
      const reference = new PeprMutateRequest(
        admissionRequest({ uid: "r", operation: "CREATE", object: { apiVersion: "v1", kind: "ConfigMap", ...object } }),
        cloneJson({ apiVersion: "v1", kind: "ConfigMap", ...object }) as Thing,
      );
      const replay = (req: PeprMutateRequest<Thing>) => {
        for (const step of steps) step(req);
      };
      const saved = seed;
      replay(reference);
      reference.SetAnnotation(STATUS, "succeeded");
      seed = saved;
      const { result } = await mutated(object, [replay]);
      expect(result, `round ${round}`).toEqual(reference.Raw);
    }
  });
});

describe("PeprMutateRequest.Raw", () => {
  it("is an own enumerable property, as in Pepr, that serialises with the request", () => {
    const input = admissionRequest({
      uid: "u",
      operation: "CREATE",
      object: { apiVersion: "v1", kind: "ConfigMap", ...thing() },
    });
    const req = new PeprMutateRequest(input).SetLabel("l", "1");
    expect(Object.keys(req)).toContain("Raw");
    expect(JSON.parse(JSON.stringify(req)).Raw.metadata.labels.l).toBe("1");
    req.Raw = { kind: "Replaced" } as never;
    expect(req.Raw).toEqual({ kind: "Replaced" });
    expect(input.object.kind).toBe("ConfigMap");
  });
});

describe("WorkingObject", () => {
  it("shares untouched subtrees with the original until Raw is read", () => {
    const original = thing();
    const working = new WorkingObject(original);
    working.setEntry("labels", "x", "1");
    expect(working.isFull).toBe(false);
    expect(working.peek().spec).toBe(original.spec);
    expect(original.metadata?.labels).toEqual({ keep: "1", "a/b": "2", "t~x": "3" });
    const raw = working.raw();
    expect(working.isFull).toBe(true);
    expect(raw.spec).not.toBe(original.spec);
    expect(raw.metadata?.labels?.x).toBe("1");
  });
});
