import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const keyAlgorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const dayMs = 24 * 60 * 60 * 1000;

/** A PEM certificate with its PEM (PKCS#8) private key. */
export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateAuthority extends KeyPairPem {
  readonly issue: (request: LeafRequest) => Promise<KeyPairPem>;
}

export interface LeafRequest {
  /** Subject common name; for client certificates Kubernetes reads it as the user name. */
  readonly commonName: string;
  /** Subject organisations; for client certificates Kubernetes reads them as groups. */
  readonly organizations?: readonly string[];
  readonly usage: "server" | "client";
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validForMs?: number;
}

export interface AuthorityOptions {
  readonly commonName: string;
  readonly validForMs?: number;
}

/** Creates a self-signed ECDSA P-256 certificate authority that can issue server and client certificates. */
export async function createCertificateAuthority(options: AuthorityOptions): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: distinguishedName(options.commonName, []),
    notBefore,
    notAfter: new Date(Date.now() + (options.validForMs ?? 3650 * dayMs)),
    keys,
    signingAlgorithm: keyAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caKey = keys.privateKey;
  return {
    cert: pemText(cert),
    key: await privateKeyPem(caKey),
    issue: (request) => issueLeaf(cert, caKey, request),
  };
}

/** Loads an existing CA (PEM certificate and PKCS#8 key made by `createCertificateAuthority`) to issue more certificates. */
export async function authorityFromPem(cert: string, key: string): Promise<CertificateAuthority> {
  const der = Buffer.from(key.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
  const caKey = await webcrypto.subtle.importKey("pkcs8", der, keyAlgorithm, false, ["sign"]);
  const ca = new x509.X509Certificate(cert);
  return { cert, key, issue: (request) => issueLeaf(ca, caKey, request) };
}

async function issueLeaf(ca: x509.X509Certificate, caKey: CryptoKey, request: LeafRequest): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const notBefore = new Date(Date.now() - 60_000);
  const alternativeNames: x509.JsonGeneralName[] = [
    ...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([
      request.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
    await x509.AuthorityKeyIdentifierExtension.create(ca),
  ];
  if (alternativeNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(alternativeNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: distinguishedName(request.commonName, request.organizations ?? []),
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(Date.now() + (request.validForMs ?? 365 * dayMs)),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: keyAlgorithm,
    extensions,
  });
  return { cert: pemText(cert), key: await privateKeyPem(keys.privateKey) };
}

/** A PEM key pair for signing service-account tokens. */
export async function createSigningKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  const keys = await generateKeys();
  const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", keys.publicKey));
  return { publicKey: pem("PUBLIC KEY", spki), privateKey: await privateKeyPem(keys.privateKey) };
}

/** When the PEM certificate stops being valid. */
export function certificateExpiry(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return pem("PRIVATE KEY", Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key)));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

function distinguishedName(commonName: string, organizations: readonly string[]): string {
  const escaped = (value: string) => value.replace(/([,+"\\<>;=])/g, "\\$1");
  return [`CN=${escaped(commonName)}`, ...organizations.map((o) => `O=${escaped(o)}`)].join(", ");
}

function pemText(cert: x509.X509Certificate): string {
  return `${cert.toString("pem").trim()}\n`;
}
