import { RUNTIME_FIELD_MANAGER } from "../contract/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { ConflictError, NotFoundError } from "../k8s/index.ts";
import {
  authorityFromPem,
  type CertificateBundle,
  createCertificateAuthority,
  joinPem,
  type KeyPairPem,
  type LeafRequest,
  newCertificateBundle,
  nextRotationStep,
  pemCertificates,
  type RotationPolicy,
  type RotationStep,
} from "../tls/index.ts";

export interface WebhookCertificateOptions extends RotationPolicy {
  readonly client: ApiClient;
  readonly namespace: string;
  readonly secretName: string;
  /** Names the serving certificate carries, e.g. `<service>.<namespace>.svc`. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validForMs: number;
  /** Webhook configurations whose every webhook's `clientConfig.caBundle` follows the trust bundle. */
  readonly mutatingWebhookConfigurations?: readonly string[];
  readonly validatingWebhookConfigurations?: readonly string[];
}

export interface SecretObject {
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

const publishedAtAnnotation = "capstan.dev/next-ca-published-at";
const attempts = 5;

/**
 * Keeps the webhook serving certificate in a Secret: made on first start (never at build time),
 * rotated before it expires, with the webhook configurations' caBundle kept in step. Any replica
 * may call `ensure`; only the leader should call `rotateIfDue`.
 */
export class WebhookCertificates {
  readonly #options: WebhookCertificateOptions;

  constructor(options: WebhookCertificateOptions) {
    this.#options = options;
  }

  /**
   * Returns the stored certificates, creating them if none exist yet (safe when replicas race). A
   * Secret of another format (Pepr's `pepr-<uuid>-tls` holds only `tls.crt`/`tls.key`, its CA key is
   * nowhere) is taken over: a new CA and certificate replace it, and the trust bundle keeps every CA
   * the webhook configurations trust now, so pods still serving the old certificate during a
   * takeover stay trusted until the next rotation drops the old CA.
   */
  async ensure(): Promise<CertificateBundle> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const existing = await this.#readSecret();
      if (existing && isOwnFormat(existing)) return fromSecret(existing);
      const fresh = await newCertificateBundle(
        { commonName: `${this.#options.secretName}-ca`, validForMs: this.#caValidity() },
        this.#leafRequest(),
      );
      const bundle = existing
        ? { ...fresh, trustBundle: joinPem(uniquePem([fresh.caCert, ...(await this.publishedCas())])) }
        : fresh;
      if (!(await this.#writeSecret(bundle, existing && (existing.metadata.resourceVersion ?? "")))) continue;
      await this.syncCaBundle(bundle.trustBundle);
      return bundle;
    }
    throw new Error(`could not write Secret ${this.#options.namespace}/${this.#options.secretName}: it kept changing`);
  }

  /** Every CA certificate (PEM) the named webhook configurations' caBundles hold now. */
  async publishedCas(): Promise<string[]> {
    const found: string[] = [];
    for (const path of this.#configurationPaths()) {
      try {
        const config = await this.#options.client.request<{ webhooks?: { clientConfig: { caBundle?: string } }[] }>({
          path,
        });
        for (const webhook of config.webhooks ?? []) {
          const caBundle = webhook.clientConfig.caBundle;
          if (caBundle) found.push(...pemCertificates(Buffer.from(caBundle, "base64").toString("utf8")));
        }
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    return uniquePem(found);
  }

  async #readSecret(): Promise<SecretObject | undefined> {
    try {
      return await this.#options.client.request<SecretObject>({
        path: `${this.#secretsPath()}/${this.#options.secretName}`,
      });
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** The stored certificates; undefined when the Secret is missing or not in capstan's format yet (`ensure` takes it over). */
  async read(): Promise<{ bundle: CertificateBundle; resourceVersion: string } | undefined> {
    const secret = await this.#readSecret();
    if (!secret || !isOwnFormat(secret)) return undefined;
    return { bundle: fromSecret(secret), resourceVersion: secret.metadata.resourceVersion ?? "" };
  }

  /**
   * Takes the next rotation step if one is due: first publish a new CA next to the current one,
   * then, once the API server has had time to trust it, serve a certificate it signs. Writes are
   * guarded by resourceVersion, so two callers never both rotate.
   */
  async rotateIfDue(now = Date.now()): Promise<RotationStep> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const stored = await this.read();
      if (!stored) {
        await this.ensure();
        continue;
      }
      const step = nextRotationStep(stored.bundle, now, this.#options);
      if (step.kind === "none") return step;
      const updated =
        step.kind === "publish-next-ca"
          ? await this.#withNextCa(stored.bundle, now)
          : await this.#switched(stored.bundle);
      if (!(await this.#writeSecret(updated, stored.resourceVersion))) continue;
      await this.syncCaBundle(updated.trustBundle);
      return step;
    }
    throw new Error(`could not update Secret ${this.#options.namespace}/${this.#options.secretName}: it kept changing`);
  }

  /** Creates the Secret (no `resourceVersion`) or replaces the one at `resourceVersion`; false when another writer got there first. */
  async #writeSecret(bundle: CertificateBundle, resourceVersion: string | undefined): Promise<boolean> {
    const secret = this.#toSecret(bundle);
    try {
      await this.#options.client.request(
        resourceVersion === undefined
          ? { method: "POST", path: this.#secretsPath(), body: secret }
          : {
              method: "PUT",
              path: `${this.#secretsPath()}/${this.#options.secretName}`,
              body: withResourceVersion(secret, resourceVersion),
            },
      );
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /** Sets every webhook's caBundle in the named configurations (configurations not yet created are skipped). */
  async syncCaBundle(trustBundle: string): Promise<void> {
    const caBundle = Buffer.from(trustBundle).toString("base64");
    for (const path of this.#configurationPaths()) {
      for (let attempt = 0; attempt < attempts; attempt++) {
        let config: { metadata: { resourceVersion?: string }; webhooks?: { clientConfig: { caBundle?: string } }[] };
        try {
          config = await this.#options.client.request({ path });
        } catch (error) {
          if (error instanceof NotFoundError) break;
          throw error;
        }
        if ((config.webhooks ?? []).every((w) => w.clientConfig.caBundle === caBundle)) break;
        for (const webhook of config.webhooks ?? []) webhook.clientConfig.caBundle = caBundle;
        try {
          await this.#options.client.request({
            method: "PUT",
            path,
            query: { fieldManager: RUNTIME_FIELD_MANAGER },
            body: config,
          });
          break;
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
        }
      }
    }
  }

  async #withNextCa(bundle: CertificateBundle, now: number): Promise<CertificateBundle> {
    const next = await createCertificateAuthority({
      commonName: `${this.#options.secretName}-ca`,
      validForMs: this.#caValidity(),
    });
    return {
      ...bundle,
      nextCaCert: next.cert,
      nextCaKey: next.key,
      nextCaPublishedAt: now,
      trustBundle: joinPem([bundle.caCert, next.cert]),
    };
  }

  async #switched(bundle: CertificateBundle): Promise<CertificateBundle> {
    if (!bundle.nextCaCert || !bundle.nextCaKey) throw new Error("no next CA to switch to");
    const leaf: KeyPairPem = await (await authorityFromPem(bundle.nextCaCert, bundle.nextCaKey)).issue(
      this.#leafRequest(),
    );
    return {
      caCert: bundle.nextCaCert,
      caKey: bundle.nextCaKey,
      tlsCert: leaf.cert,
      tlsKey: leaf.key,
      // The previous CA stays trusted until the next rotation: replicas may still serve its certificate.
      trustBundle: joinPem([bundle.caCert, bundle.nextCaCert]),
    };
  }

  #configurationPaths(): string[] {
    return [
      ...(this.#options.mutatingWebhookConfigurations ?? []).map((n) => `mutatingwebhookconfigurations/${n}`),
      ...(this.#options.validatingWebhookConfigurations ?? []).map((n) => `validatingwebhookconfigurations/${n}`),
    ].map((target) => `/apis/admissionregistration.k8s.io/v1/${target}`);
  }

  #leafRequest(): LeafRequest {
    return {
      commonName: this.#options.dnsNames[0] ?? this.#options.secretName,
      usage: "server",
      dnsNames: this.#options.dnsNames,
      ipAddresses: this.#options.ipAddresses ?? [],
      validForMs: this.#options.validForMs,
    };
  }

  #caValidity(): number {
    return this.#options.validForMs * 3;
  }

  #secretsPath(): string {
    return `/api/v1/namespaces/${this.#options.namespace}/secrets`;
  }

  #toSecret(bundle: CertificateBundle): SecretObject {
    const data: Record<string, string> = {
      "ca.crt": bundle.caCert,
      "ca.key": bundle.caKey,
      "tls.crt": bundle.tlsCert,
      "tls.key": bundle.tlsKey,
      "ca-bundle.crt": bundle.trustBundle,
    };
    if (bundle.nextCaCert && bundle.nextCaKey) {
      data["next-ca.crt"] = bundle.nextCaCert;
      data["next-ca.key"] = bundle.nextCaKey;
    }
    return {
      metadata: {
        name: this.#options.secretName,
        namespace: this.#options.namespace,
        annotations:
          bundle.nextCaPublishedAt !== undefined ? { [publishedAtAnnotation]: String(bundle.nextCaPublishedAt) } : {},
      },
      type: "kubernetes.io/tls",
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    };
  }
}

/** Whether the Secret holds what `WebhookCertificates` stores (a CA with its key), not another tool's certificate. */
export function isOwnFormat(secret: SecretObject): boolean {
  return secret.data?.["ca.crt"] !== undefined && secret.data["ca.key"] !== undefined;
}

function uniquePem(certificates: readonly string[]): string[] {
  return [...new Set(certificates.map((certificate) => certificate.trim()))];
}

function withResourceVersion(secret: SecretObject, resourceVersion: string | undefined): SecretObject {
  return { ...secret, metadata: { ...secret.metadata, ...(resourceVersion ? { resourceVersion } : {}) } };
}

/** Reads a webhook Secret's data (as stored by `WebhookCertificates`). */
export function fromSecret(secret: SecretObject): CertificateBundle {
  const field = (key: string) => {
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
  };
  const required = (key: string) => {
    const value = field(key);
    if (value === undefined) {
      throw new Error(
        `Secret ${secret.metadata.namespace}/${secret.metadata.name} has no "${key}": delete it and capstan will make a new one`,
      );
    }
    return value;
  };
  const publishedAt = secret.metadata.annotations?.[publishedAtAnnotation];
  const caCert = required("ca.crt");
  return {
    caCert,
    caKey: required("ca.key"),
    tlsCert: required("tls.crt"),
    tlsKey: required("tls.key"),
    trustBundle: field("ca-bundle.crt") ?? joinPem(pemCertificates(caCert)),
    nextCaCert: field("next-ca.crt"),
    nextCaKey: field("next-ca.key"),
    nextCaPublishedAt: publishedAt === undefined ? undefined : Number(publishedAt),
  };
}
