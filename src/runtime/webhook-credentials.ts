import { sharedInformer } from "../informer/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { kindOf, Secret } from "../k8s/index.ts";
import { Log } from "../telemetry/index.ts";
import { type CertificateBundle, newCertificateBundle } from "../tls/index.ts";
import { fromSecret, isOwnFormat, type SecretObject, WebhookCertificates } from "./webhook-certificates.ts";

/** The serving certificate and trust bundle a webhook server uses, and news of their changes. */
export interface WebhookCredentials {
  current(): CertificateBundle;
  /** Called after each change (rotation); returns an unsubscribe function. */
  onChange(listener: (credentials: CertificateBundle) => void): () => void;
  stop(): Promise<void>;
}

/** In-memory credentials for `capstan dev` and tests: a fresh CA and a certificate for 127.0.0.1. */
export async function localCredentials(hosts: readonly string[] = ["127.0.0.1"]): Promise<WebhookCredentials> {
  const ipAddresses = hosts.filter((h) => /^[\d.]+$|:/.test(h));
  const dnsNames = hosts.filter((h) => !ipAddresses.includes(h));
  return staticCredentials(
    await newCertificateBundle(
      { commonName: "capstan-dev-ca" },
      { commonName: hosts[0] ?? "localhost", usage: "server", dnsNames, ipAddresses },
    ),
  );
}

/** Credentials that never change (dev mode, tests). */
export function staticCredentials(bundle: CertificateBundle): WebhookCredentials {
  return { current: () => bundle, onChange: () => () => {}, stop: async () => {} };
}

export interface SecretCredentialsOptions {
  readonly client: ApiClient;
  readonly namespace: string;
  readonly secretName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly mutatingWebhookConfigurations?: readonly string[];
  readonly validatingWebhookConfigurations?: readonly string[];
  /** Serving certificate lifetime. Default 90 days. */
  readonly validForMs?: number;
  /** Default a third of the lifetime. */
  readonly renewBeforeMs?: number;
  /** Default 2 minutes, longer than the API server takes to see a changed webhook configuration. */
  readonly propagationMs?: number;
  /** Whether this replica creates and rotates the certificates (one role does); others only follow. Default true. */
  readonly rotate?: boolean;
}

const day = 24 * 60 * 60 * 1000;
const maxTimerMs = 2 ** 31 - 1;

/**
 * Credentials kept in a Secret shared by every replica: created on first start, followed through
 * a watch, and rotated by whichever replica gets there first when a rotation step is due.
 */
export async function secretCredentials(options: SecretCredentialsOptions): Promise<WebhookCredentials> {
  const validForMs = options.validForMs ?? 90 * day;
  const certificates = new WebhookCertificates({
    ...options,
    validForMs,
    renewBeforeMs: options.renewBeforeMs ?? validForMs / 3,
    propagationMs: options.propagationMs ?? 120_000,
  });
  let credentials = await certificates.ensure();
  // `capstan deploy` creates the configurations without caBundle (and may re-apply them later).
  if (options.rotate ?? true) await certificates.syncCaBundle(credentials.trustBundle);
  const listeners = new Set<(credentials: CertificateBundle) => void>();
  const informer = sharedInformer<SecretObject & { apiVersion?: string; kind?: string }>(options.client, {
    kind: kindOf(Secret),
    namespace: options.namespace,
    fieldSelector: `metadata.name=${options.secretName}`,
  });
  const unsubscribe = informer.subscribe((event) => {
    // Another tool's Secret (e.g. Pepr's, written back by a rollback) is not followed; `ensure` takes it over on start.
    if (event.type === "DELETED" || !isOwnFormat(event.object)) return;
    const next = fromSecret(event.object);
    if (next.tlsCert === credentials.tlsCert && next.trustBundle === credentials.trustBundle) return;
    credentials = next;
    for (const listener of listeners) listener(next);
  });
  informer.start();
  await informer.waitForSync();

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const scheduleRotation = async () => {
    if (stopped) return;
    let delay = 60_000;
    try {
      const step = await certificates.rotateIfDue();
      delay = step.kind === "none" ? Math.max(1_000, step.nextCheckAt - Date.now()) : 1_000;
    } catch (error) {
      Log.warn({ err: error, secret: options.secretName }, "webhook certificate rotation failed; retrying in a minute");
    }
    if (!stopped) timer = setTimeout(scheduleRotation, Math.min(delay, maxTimerMs));
  };
  if (options.rotate ?? true) await scheduleRotation();

  return {
    current: () => credentials,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
      if (informer.health().subscribers === 0) await informer.stop();
    },
  };
}
