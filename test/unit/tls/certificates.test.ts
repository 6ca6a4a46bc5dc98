import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import { describe, expect, it } from "vitest";
import { certificateExpiry, createCertificateAuthority, createSigningKeyPair } from "../../../src/tls/certificates.ts";

describe("certificates", () => {
  it("issues a server certificate signed by the CA with the requested names", async () => {
    const ca = await createCertificateAuthority({ commonName: "unit-ca" });
    const leaf = await ca.issue({
      commonName: "server",
      usage: "server",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      validForMs: 3_600_000,
    });
    const caCert = new X509Certificate(ca.cert);
    const cert = new X509Certificate(leaf.cert);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(leaf.key))).toBe(true);
    const hours = (certificateExpiry(leaf.cert).getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(0.9);
    expect(hours).toBeLessThan(1.1);
    expect(() => createSecureContext({ cert: leaf.cert, key: leaf.key, ca: ca.cert })).not.toThrow();
  });

  it("puts organisations in the subject of client certificates (Kubernetes groups)", async () => {
    const ca = await createCertificateAuthority({ commonName: "unit-ca" });
    const leaf = await ca.issue({ commonName: "alice", organizations: ["system:masters", "dev,ops"], usage: "client" });
    const cert = new X509Certificate(leaf.cert);
    // Node prints RFC 2253 escapes; the stored value is the plain "dev,ops".
    expect(cert.subject.split("\n")).toEqual(["CN=alice", "O=system:masters", "O=dev\\,ops"]);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
  });

  it("creates a PEM signing key pair", async () => {
    const pair = await createSigningKeyPair();
    expect(pair.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(pair.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });
});
