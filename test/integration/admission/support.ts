import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { pino } from "pino";
import { Agent, request as undiciRequest } from "undici";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import * as a from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule, type PeprModuleOptions } from "../../../src/model/module.ts";
import type { ModuleConfig } from "../../../src/model/module-config.ts";
import type { Logger } from "../../../src/telemetry/logger.ts";
import { eventually } from "../../support/cluster.ts";
import { type DevAdmission, startDevAdmission } from "./dev-admission.ts";

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger that keeps its lines in memory. */
export function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

export interface ConfigMapObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

export const configMaps = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;

/** A capability whose bindings show when both webhooks are live: a label on `capstan-probe-m`, a denial of `capstan-probe-v`. */
function probeCapability(): Capability {
  const probe = new Capability({ name: "probe", description: "shows the webhooks are live" });
  probe
    .When(a.ConfigMap)
    .IsCreated()
    .WithName("capstan-probe-m")
    .Mutate((req) => {
      req.SetLabel("capstan-probe", "mutated");
    });
  probe
    .When(a.ConfigMap)
    .IsCreated()
    .WithName("capstan-probe-v")
    .Validate((req) => req.Deny("capstan probe"));
  return probe;
}

export interface TestModule {
  readonly dev: DevAdmission;
  readonly lines: LogLine[];
  /** HTTP requests the server received (any route). */
  requests(): number;
  stop(): Promise<void>;
}

export interface TestModuleOptions {
  readonly config?: Partial<ModuleConfig>;
  readonly options?: PeprModuleOptions;
  /** Waits until the webhooks act; default: the ConfigMap probe capability in `namespaces[0]`. */
  readonly probe?: () => Promise<boolean>;
}

/**
 * Serves `capabilities` on 127.0.0.1 with webhook configurations confined to `namespaces` (by name)
 * and waits until the API server calls them.
 */
export async function serveModule(
  client: ApiClient,
  namespaces: string[],
  capabilities: Capability[],
  options: TestModuleOptions = {},
): Promise<TestModule> {
  const uuid = `t${randomBytes(5).toString("hex")}`;
  const withProbe = options.probe ? capabilities : [...capabilities, probeCapability()];
  const module = new PeprModule(
    { pepr: { uuid, onError: "reject", webhookTimeout: 10, ...options.config } },
    withProbe,
    { deferStart: true, ...options.options },
  );
  const { logger, lines } = memoryLogger();
  const dev = await startDevAdmission({
    module,
    client,
    name: `capstan-test-${uuid}`,
    namespaceSelector: {
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: namespaces }],
    },
    logger,
  });
  let count = 0;
  dev.server.server.on("request", () => {
    count++;
  });
  const [first] = namespaces;
  const probe =
    options.probe ??
    (async () => {
      const mutated = await client.request<ConfigMapObject>({
        method: "POST",
        path: configMaps(first as string),
        query: { dryRun: "All" },
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "capstan-probe-m" } },
      });
      if (mutated.metadata.labels?.["capstan-probe"] !== "mutated") return false;
      const denied = await client
        .request({
          method: "POST",
          path: configMaps(first as string),
          query: { dryRun: "All" },
          body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "capstan-probe-v" } },
        })
        .then(
          () => false,
          (error: Error) => error.message.includes("capstan probe"),
        );
      return denied;
    });
  try {
    await eventually(async () => ((await probe()) ? true : undefined), {
      timeoutMs: 30_000,
      what: "the webhooks to act",
    });
  } catch (error) {
    await dev.stop();
    throw error;
  }
  return { dev, lines, requests: () => count, stop: () => dev.stop() };
}

export function configMap(
  name: string,
  extra: Partial<ConfigMapObject["metadata"]> = {},
  data?: Record<string, string>,
) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...extra }, ...(data ? { data } : {}) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A JSON request to the API server that also returns the response headers (for `Warning`). */
export async function requestWithHeaders(
  client: ApiClient,
  request: { method: "POST" | "PUT" | "PATCH" | "DELETE"; path: string; body?: unknown; query?: string },
): Promise<RawResponse> {
  const agent = new Agent({ connect: { ...client.connection.tls } });
  try {
    const response = await undiciRequest(`${client.url(request.path)}${request.query ? `?${request.query}` : ""}`, {
      method: request.method,
      dispatcher: agent,
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        ...(await client.connection.headers()),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: (await response.body.json()) as Record<string, unknown>,
    };
  } finally {
    await agent.close();
  }
}

/** The texts of `Warning` headers (`299 - "text"`). */
export function warningTexts(headers: RawResponse["headers"]): string[] {
  const raw = headers.warning;
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return values.flatMap((value) =>
    [...value.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] as string),
  );
}
