import { describe, expect, it } from "vitest";
import {
  admissionRecord,
  isAdmissionRecordLine,
  REDACTED,
  REDACTED_BASE64,
  redactObject,
} from "../../../src/admission/recording.ts";
import type { KubernetesObject } from "../../../src/k8s/kinds.ts";
import type { AdmissionRequest } from "../../../src/model/admission-request.ts";

const secretValue = Buffer.from("hunter2").toString("base64");

function secret(): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "db",
      namespace: "demo",
      labels: { app: "db" },
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": `{"data":{"password":"${secretValue}"}}` },
      managedFields: [{ manager: "kubectl" }],
    },
    type: "kubernetes.io/service-account-token",
    data: { password: secretValue, token: secretValue },
    stringData: { extra: "plain-secret" },
  } as KubernetesObject;
}

function pod(): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "demo" },
    spec: {
      containers: [
        {
          name: "web",
          image: "nginx",
          env: [
            { name: "DB_PASSWORD", value: "hunter2" },
            { name: "API_TOKEN", value: "abc" },
            { name: "LOG_LEVEL", value: "debug" },
            { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
          ],
        },
      ],
    },
  } as KubernetesObject;
}

function request(object: KubernetesObject, operation: "CREATE" | "DELETE" = "CREATE"): AdmissionRequest {
  return {
    uid: "u-1",
    kind: { group: "", version: "v1", kind: object.kind as string },
    resource: { group: "", version: "v1", resource: "x" },
    name: object.metadata?.name ?? "",
    namespace: "demo",
    operation,
    userInfo: { username: "alice", groups: ["dev"], extra: { "authentication.kubernetes.io/credential-id": ["X"] } },
    object: (operation === "DELETE" ? null : object) as KubernetesObject,
    ...(operation === "DELETE" ? { oldObject: object } : {}),
  };
}

const patchOf = (ops: unknown[]) => Buffer.from(JSON.stringify(ops)).toString("base64");

describe("redactObject", () => {
  it("replaces a Secret's values (keys kept, data still base64), the last-applied annotation, and drops managedFields", () => {
    const redacted = redactObject(secret()) as KubernetesObject & Record<string, Record<string, string>>;
    expect(redacted.data).toEqual({ password: REDACTED_BASE64, token: REDACTED_BASE64 });
    expect(Buffer.from(REDACTED_BASE64, "base64").toString()).toBe(REDACTED);
    expect(redacted.stringData).toEqual({ extra: REDACTED });
    expect(redacted.metadata?.annotations).toEqual({ "kubectl.kubernetes.io/last-applied-configuration": REDACTED });
    expect(redacted.metadata?.managedFields).toBeUndefined();
    expect(redacted.metadata?.labels).toEqual({ app: "db" });
    expect(JSON.stringify(redacted)).not.toContain(secretValue);
    expect(JSON.stringify(redacted)).not.toContain("plain-secret");
  });

  it("replaces credential-named env values only, and is deterministic", () => {
    const redacted = redactObject(pod());
    const env = (redacted as { spec: { containers: { env: unknown[] }[] } }).spec.containers[0]?.env;
    expect(env).toEqual([
      { name: "DB_PASSWORD", value: REDACTED },
      { name: "API_TOKEN", value: REDACTED },
      { name: "LOG_LEVEL", value: "debug" },
      { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
    ]);
    expect(redactObject(pod())).toEqual(redacted);
  });

  it("leaves the input untouched", () => {
    const input = secret();
    redactObject(input);
    expect((input as { data: Record<string, string> }).data.password).toBe(secretValue);
  });
});

describe("admissionRecord", () => {
  it("carries the redacted request without userInfo.extra, and the answer with the patch's values", () => {
    const record = admissionRecord("mutate", request(pod()), {
      uid: "u-1",
      allowed: true,
      patch: patchOf([{ op: "add", path: "/metadata/labels", value: { greeted: "yes" } }]),
      patchType: "JSONPatch",
    });
    expect(record.request.userInfo).toEqual({ username: "alice", groups: ["dev"] });
    expect(record.request.namespace).toBe("demo");
    expect(record.response).toEqual({
      allowed: true,
      patch: [{ op: "add", path: "/metadata/labels", value: { greeted: "yes" } }],
    });
    expect(JSON.stringify(record)).not.toContain("hunter2");
  });

  it("marks patch operations whose values are sensitive, and never writes them", () => {
    const record = admissionRecord("mutate", request(secret()), {
      uid: "u-1",
      allowed: true,
      patch: patchOf([
        { op: "replace", path: "/data/password", value: Buffer.from("new-secret").toString("base64") },
        { op: "add", path: "/metadata/labels/rotated", value: "true" },
        { op: "remove", path: "/data/token" },
      ]),
      patchType: "JSONPatch",
    });
    expect(record.response.patch).toEqual([
      { op: "replace", path: "/data/password", redacted: true },
      { op: "add", path: "/metadata/labels/rotated", value: "true" },
      { op: "remove", path: "/data/token" },
    ]);
    expect(JSON.stringify(record)).not.toContain(Buffer.from("new-secret").toString("base64"));
  });

  it("keeps a denial's code and message, and a DELETE's old object", () => {
    const record = admissionRecord("validate", request(pod(), "DELETE"), {
      uid: "u-1",
      allowed: false,
      status: { code: 403, message: "no deleting" },
    });
    expect(record.request.object).toBeUndefined();
    expect(record.request.oldObject?.metadata?.name).toBe("web");
    expect(record.response).toEqual({ allowed: false, code: 403, message: "no deleting" });
  });

  it("is told apart from other log lines without parsing", () => {
    expect(isAdmissionRecordLine('{"level":30,"msg":"admission record"}')).toBe(true);
    expect(isAdmissionRecordLine('{"level":30,"msg":"admission decision"}')).toBe(false);
  });
});
