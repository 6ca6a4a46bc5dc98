import { randomBytes } from "node:crypto";
import { AdmissionEngine, type AdmissionModule } from "../../../src/admission/engine.ts";
import { applyWebhookConfigurations, deleteWebhookConfigurations } from "../../../src/admission/registration.ts";
import { type AdmissionServer, startAdmissionServer } from "../../../src/admission/server.ts";
import { type LabelSelector, webhookConfigurations } from "../../../src/admission/webhook-config.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { namesOf } from "../../../src/model/flavor.ts";
import type { Logger } from "../../../src/telemetry/logger.ts";
import { createCertificateAuthority } from "../../../src/tls/certificates.ts";

export interface DevAdmissionOptions {
  readonly module: AdmissionModule;
  readonly client: ApiClient;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Address the API server reaches this process at. Default 127.0.0.1. */
  readonly host?: string;
  /** Configuration name. Default `pepr-<uuid>` (Pepr mode) or `capstan-<uuid>`. */
  readonly name?: string;
  readonly namespaceSelector?: LabelSelector;
  readonly logger?: Logger;
}

export interface DevAdmission {
  readonly server: AdmissionServer;
  readonly engine: AdmissionEngine;
  readonly name: string;
  readonly apiPath: string;
  readonly caCert: string;
  /** Removes the webhook configurations, then drains the server. */
  stop(): Promise<void>;
}

/**
 * Test support for the admission integration tests: a fresh CA and serving certificate for `host`, the webhook server
 * on `host:port`, and the module's webhook configurations registered with `url: https://host:port/...`.
 */
export async function startDevAdmission(options: DevAdmissionOptions): Promise<DevAdmission> {
  const host = options.host ?? "127.0.0.1";
  const ca = await createCertificateAuthority({ commonName: "capstan dev webhook CA" });
  const isIp = /^[\d.]+$|:/.test(host);
  const serving = await ca.issue({
    commonName: host,
    usage: "server",
    ...(isIp ? { ipAddresses: [host] } : { dnsNames: [host] }),
  });
  const apiPath = randomBytes(32).toString("hex");
  const engine = new AdmissionEngine(options.module, { logger: options.logger });
  const server = await startAdmissionServer({
    engine,
    tls: serving,
    apiPath,
    port: options.port ?? 0,
    host,
    logger: options.logger,
  });
  const name = options.name ?? namesOf(options.module.config).objectPrefix(options.module.config.uuid);
  const configs = webhookConfigurations(options.module, {
    name,
    endpoint: { url: `https://${isIp && host.includes(":") ? `[${host}]` : host}:${server.port}` },
    apiPath,
    caBundle: ca.cert,
    namespaceSelector: options.namespaceSelector,
  });
  try {
    await applyWebhookConfigurations(options.client, configs);
  } catch (error) {
    await deleteWebhookConfigurations(options.client, name).catch(() => {});
    await server.close(0);
    throw error;
  }
  return {
    server,
    engine,
    name,
    apiPath,
    caCert: ca.cert,
    async stop() {
      await deleteWebhookConfigurations(options.client, name);
      await server.close();
    },
  };
}
