import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdmissionEngine } from "../../../src/admission/engine.ts";
import { type AdmissionServer, startAdmissionServer } from "../../../src/admission/server.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { createCertificateAuthority } from "../../../src/tls/certificates.ts";
import { memoryLogger } from "./support.ts";

const secret = "a".repeat(64);
let server: AdmissionServer;
let agent: Agent;
const { logger, lines } = memoryLogger();

function review(overrides: Record<string, unknown> = {}, request: Record<string, unknown> = {}) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "0f1e",
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      resource: { group: "", version: "v1", resource: "configmaps" },
      operation: "CREATE",
      name: "c",
      namespace: "default",
      userInfo: {},
      object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default" } },
      ...request,
    },
    ...overrides,
  };
}

async function send(path: string, body?: string | object, method: "GET" | "POST" = "POST") {
  const response = await request(`https://127.0.0.1:${server.port}${path}`, {
    method,
    dispatcher: agent,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

beforeAll(async () => {
  const ca = await createCertificateAuthority({ commonName: "server-test" });
  const serving = await ca.issue({ commonName: "127.0.0.1", usage: "server", ipAddresses: ["127.0.0.1"] });
  const cap = new Capability({ name: "srv", description: "server test" });
  cap
    .When(a.ConfigMap)
    .IsCreated()
    .Mutate(async (req) => {
      if (req.Raw.metadata?.name === "slow") await sleep(500);
      req.SetLabel("seen", "yes");
    });
  const module = new PeprModule({ pepr: { uuid: "srv", onError: "reject" } }, [cap], { deferStart: true });
  server = await startAdmissionServer({
    engine: new AdmissionEngine(module, { logger }),
    tls: serving,
    apiPath: secret,
    port: 0,
    host: "127.0.0.1",
    maxBodyBytes: 64 * 1024,
    logger,
  });
  agent = new Agent({ connect: { ca: ca.cert } });
});
afterAll(async () => {
  await server?.close(0);
  await agent?.close();
});

describe("the webhook server", () => {
  it("answers a valid review with a patch and the status annotation", async () => {
    const response = await send(`/mutate/${secret}`, review());
    expect(response.status).toBe(200);
    const body = response.json() as { response: { uid: string; allowed: boolean; patch: string } };
    expect(body).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
    expect(body.response).toMatchObject({ uid: "0f1e", allowed: true, patchType: "JSONPatch" });
    const patch = JSON.parse(Buffer.from(body.response.patch, "base64").toString()) as { path: string }[];
    expect(patch.map((op) => op.path).sort()).toEqual(["/metadata/annotations", "/metadata/labels"]);
  });

  it.each([
    ["malformed JSON", `/mutate/${secret}`, "{not json", "POST", 400, /not valid JSON/],
    [
      "a wrong apiVersion",
      `/mutate/${secret}`,
      review({ apiVersion: "v1" }),
      "POST",
      400,
      /apiVersion must be admission.k8s.io\/v1/,
    ],
    ["a wrong kind", `/validate/${secret}`, review({ kind: "Pod" }), "POST", 400, /kind must be AdmissionReview/],
    ["a missing uid", `/mutate/${secret}`, review({}, { uid: undefined }), "POST", 400, /request.uid is missing/],
    ["a body over the limit", `/mutate/${secret}`, "x".repeat(100 * 1024), "POST", 413, /exceeds the 65536-byte limit/],
    ["a wrong secret path", `/mutate/${"b".repeat(64)}`, review(), "POST", 401, /API path secret/],
    ["GET instead of POST", `/mutate/${secret}`, undefined, "GET", 405, /send POST/],
    ["an unknown route", "/other", undefined, "GET", 404, /no such route/],
  ] as const)("refuses %s with a clear 4xx", async (_what, path, body, method, status, message) => {
    const response = await send(path, body, method);
    expect(response.status).toBe(status);
    expect(response.json()).toMatchObject({ kind: "Status", code: status, message: expect.stringMatching(message) });
  });

  it("stays up after bad input and logs none of it at error level", async () => {
    expect((await send(`/mutate/${secret}`, review())).status).toBe(200);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.filter((line) => line.msg.startsWith("refused webhook request")).length).toBeGreaterThanOrEqual(8);
  });

  it("keeps idle connections longer than the API server's 90 s idle timeout, and bounds headers and requests", () => {
    expect(server.server.keepAliveTimeout).toBeGreaterThan(90_000);
    expect(server.server.headersTimeout).toBe(32_000);
    expect(server.server.requestTimeout).toBeGreaterThan(30_000);
  });

  it("serves /healthz, /readyz and /metrics without waiting for anything", async () => {
    expect((await send("/healthz", undefined, "GET")).text).toBe("ok");
    expect((await send("/readyz", undefined, "GET")).status).toBe(200);
    const metrics = (await send("/metrics", undefined, "GET")).text;
    expect(metrics).toMatch(
      /capstan_admission_binding_decisions_total\{capability="srv",binding="0-mutate-configmap",operation="CREATE",result="succeeded"\} \d+/,
    );
    expect(metrics).toMatch(/capstan_admission_refused_requests_total\{reason="path"\} \d+/);
    expect(metrics).toMatch(/^pepr_alerts [1-9]/m);
    expect(metrics).toMatch(/^pepr_mutate_count [1-9]/m);
  });

  it("drains: a request in flight when close() is called still gets its answer", async () => {
    const inFlight = send(`/mutate/${secret}`, review({}, { object: { metadata: { name: "slow" } } }));
    await sleep(100);
    const closing = server.close(5000);
    const response = await inFlight;
    expect(response.status).toBe(200);
    await closing;
    await expect(send("/healthz", undefined, "GET")).rejects.toThrow();
  });
});
