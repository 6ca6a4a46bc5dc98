// OpenTelemetry traces (issue 19): with tracing on, one admission request whose Mutate callback
// calls K8s().Get reaches an in-process OTLP/HTTP receiver as a server span with the API call as
// its child, and a Watch callback's span carries its own API call the same way.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K8s } from "../../../src/fluent/index.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type ModuleRuntime, startModuleRuntime } from "../../../src/runtime/module-runtime.ts";
import { startTracing, type TracingHandle } from "../../../src/runtime/tracing-setup.ts";
import { installStoreCrd } from "../../../src/store/install.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { configMaps, serveModule, type TestModule } from "../admission/support.ts";

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: string;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: (Omit<ReceivedSpan, "attributes" | "service"> & { attributes?: OtlpAttribute[] })[] }[];
  }[];
}

const plain = (value: OtlpValue): unknown =>
  value.stringValue ??
  (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
  value.boolValue ??
  value.arrayValue?.values?.map(plain);
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));

let client: ApiClient;
let receiver: Server;
let tracing: TracingHandle;
const spans: ReceivedSpan[] = [];
let served: TestModule | undefined;
let runtime: ModuleRuntime | undefined;

beforeAll(async () => {
  client = await adminClient();
  await installStoreCrd(client);
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const payload = JSON.parse(body) as OtlpExport;
      for (const resource of payload.resourceSpans ?? []) {
        const service = String(attributesOf(resource.resource?.attributes)["service.name"]);
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? [])
            spans.push({ ...span, attributes: attributesOf(span.attributes), service });
        }
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  const port = typeof address === "object" && address ? address.port : 0;
  tracing = await startTracing({
    serviceName: "tracing-test",
    exporters: ["otlp"],
    url: `http://127.0.0.1:${port}/v1/traces`,
    batchDelayMs: 100,
  });
});

afterAll(async () => {
  await served?.stop();
  await runtime?.close();
  await tracing?.shutdown();
  receiver?.close();
  await client?.close();
});

/** The received span named `name` whose attribute `key` is `value`. */
const findSpan = (name: string, key: string, value: unknown) =>
  spans.find((span) => span.name === name && span.attributes[key] === value);
const childrenOf = (parent: ReceivedSpan) =>
  spans.filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId);

describe("tracing", () => {
  it("links an admission request's span to the K8s().Get its Mutate callback made", async () => {
    const namespace = await freshNamespace(client, "tracing");
    await client.request({
      method: "POST",
      path: configMaps(namespace),
      body: { metadata: { name: "base" }, data: { colour: "teal" } },
    });
    const cap = new Capability({ name: "traced", description: "", namespaces: [namespace] });
    cap
      .When(ConfigMap)
      .IsCreated()
      .WithName("traced")
      .Mutate(async (request) => {
        const base = await K8s(ConfigMap, {}, { client }).InNamespace(namespace).Get("base");
        request.SetLabel("colour", base.data?.colour ?? "none");
      });
    served = await serveModule(client, [namespace], [cap]);
    const created = await client.request<{ metadata: { uid: string; labels?: Record<string, string> } }>({
      method: "POST",
      path: configMaps(namespace),
      body: { metadata: { name: "traced" } },
    });
    expect(created.metadata.labels?.colour).toBe("teal");
    const admission = await eventually(
      () =>
        spans.find(
          (span) =>
            span.name === "admission mutate CREATE ConfigMap" &&
            span.attributes["capstan.admission.namespace"] === namespace &&
            (span.attributes["capstan.bindings"] as string[] | undefined)?.some((b) => b.startsWith("traced/")),
        ),
      { timeoutMs: 15_000, what: "the admission span" },
    );
    expect(admission.service).toBe("tracing-test");
    expect(admission.kind).toBe(2); // SERVER
    expect(admission.attributes).toMatchObject({
      "capstan.webhook": "mutate",
      "capstan.admission.operation": "CREATE",
      "capstan.admission.allowed": true,
    });
    expect(admission.attributes["capstan.admission.patch_bytes"]).toBeGreaterThan(0);
    const get = await eventually(() => childrenOf(admission).find((span) => span.name === "k8s GET"), {
      timeoutMs: 10_000,
      what: "the API call's span under the admission span",
    });
    expect(get.kind).toBe(3); // CLIENT
    expect(get.attributes).toMatchObject({
      "http.request.method": "GET",
      "url.path": `/api/v1/namespaces/${namespace}/configmaps/base`,
      "http.response.status_code": 200,
    });
  });

  it("gives a Watch callback a span with its API call (a 404) as a child, and background calls none", async () => {
    const namespace = await freshNamespace(client, "tracing-watch");
    await client.request({ method: "POST", path: configMaps(namespace), body: { metadata: { name: "base" } } });
    const cap = new Capability({ name: "watcher", description: "" });
    cap
      .When(ConfigMap)
      .IsCreated()
      .InNamespace(namespace)
      .WithName("watched")
      .Watch(async () => {
        await K8s(ConfigMap, {}, { client })
          .InNamespace(namespace)
          .Get("missing")
          .catch(() => undefined);
      });
    const module = new PeprModule({ capstan: { uuid: "tracing-watch", onError: "reject" } }, [cap], {
      deferStart: true,
    });
    runtime = await startModuleRuntime({ module, client, role: "controller", namespace });
    await client.request({ method: "POST", path: configMaps(namespace), body: { metadata: { name: "watched" } } });
    const callback = await eventually(() => findSpan("controller watch ConfigMap", "capstan.object.name", "watched"), {
      timeoutMs: 15_000,
      what: "the Watch callback's span",
    });
    expect(callback.attributes).toMatchObject({
      "capstan.capability": "watcher",
      "capstan.action": "watch",
      "capstan.event": "ADDED",
      "capstan.object.namespace": namespace,
    });
    const get = await eventually(() => childrenOf(callback).find((span) => span.name === "k8s GET"), {
      timeoutMs: 10_000,
      what: "the Watch callback's API call span",
    });
    expect(get.attributes["http.response.status_code"]).toBe(404);
    // The informers' LIST and WATCH and the Store's traffic run outside any callback: no spans.
    expect(spans.filter((span) => span.name.startsWith("k8s ") && !span.parentSpanId)).toEqual([]);
  });
});
