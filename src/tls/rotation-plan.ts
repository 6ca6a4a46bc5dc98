import {
  type AuthorityOptions,
  certificateExpiry,
  createCertificateAuthority,
  type LeafRequest,
} from "./certificates.ts";

/**
 * What the webhook certificate Secret holds. The trust bundle always holds the CA that signed the
 * certificate being served, and, around a rotation, the next or the previous CA too, so the API
 * server trusts every replica whether it has switched yet or not.
 */
export interface CertificateBundle {
  /** CA that signed the serving certificate. */
  readonly caCert: string;
  readonly caKey: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** Concatenated PEM CAs the webhook configurations trust (their caBundle). */
  readonly trustBundle: string;
  /** A CA created for the next rotation, already in the trust bundle but not yet signing. */
  readonly nextCaCert?: string;
  readonly nextCaKey?: string;
  /** When the next CA was published, as epoch ms. */
  readonly nextCaPublishedAt?: number;
}

export interface RotationPolicy {
  /** Start a rotation when the serving certificate has less than this left. */
  readonly renewBeforeMs: number;
  /** How long a newly trusted CA is published before certificates it signs are served. */
  readonly propagationMs: number;
}

export type RotationStep =
  | { readonly kind: "none"; readonly nextCheckAt: number }
  | { readonly kind: "publish-next-ca" }
  | { readonly kind: "switch-to-next-ca" };

/** Decides the next rotation step from the stored bundle and the time; pure so it can be tested with any clock. */
export function nextRotationStep(bundle: CertificateBundle, now: number, policy: RotationPolicy): RotationStep {
  if (bundle.nextCaCert && bundle.nextCaPublishedAt !== undefined) {
    const switchAt = bundle.nextCaPublishedAt + policy.propagationMs;
    return now >= switchAt ? { kind: "switch-to-next-ca" } : { kind: "none", nextCheckAt: switchAt };
  }
  const renewAt = certificateExpiry(bundle.tlsCert).getTime() - policy.renewBeforeMs;
  return now >= renewAt ? { kind: "publish-next-ca" } : { kind: "none", nextCheckAt: renewAt };
}

/** Splits a PEM bundle into its certificates. */
export function pemCertificates(bundle: string): string[] {
  return (
    bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)?.map((c) => c.trim() + "\n") ?? []
  );
}

export function joinPem(certificates: readonly string[]): string {
  return certificates.map((c) => `${c.trim()}\n`).join("");
}

/** A new CA and a serving certificate it signs, with the CA as the whole trust bundle. */
export async function newCertificateBundle(authority: AuthorityOptions, leaf: LeafRequest): Promise<CertificateBundle> {
  const ca = await createCertificateAuthority(authority);
  const issued = await ca.issue(leaf);
  return { caCert: ca.cert, caKey: ca.key, tlsCert: issued.cert, tlsKey: issued.key, trustBundle: joinPem([ca.cert]) };
}
