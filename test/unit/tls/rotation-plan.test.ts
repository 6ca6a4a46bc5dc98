import { describe, expect, it } from "vitest";
import { createCertificateAuthority } from "../../../src/tls/certificates.ts";
import { type CertificateBundle, joinPem, nextRotationStep, pemCertificates } from "../../../src/tls/rotation-plan.ts";

const hour = 3_600_000;
const policy = { renewBeforeMs: 2 * hour, propagationMs: 60_000 };

async function bundle(validForMs: number): Promise<CertificateBundle> {
  const ca = await createCertificateAuthority({ commonName: "ca" });
  const leaf = await ca.issue({ commonName: "svc", usage: "server", dnsNames: ["svc"], validForMs });
  return { caCert: ca.cert, caKey: ca.key, tlsCert: leaf.cert, tlsKey: leaf.key, trustBundle: ca.cert };
}

describe("nextRotationStep", () => {
  it("waits until the certificate is within renewBefore of expiry", async () => {
    const b = await bundle(10 * hour);
    const now = Date.now();
    const step = nextRotationStep(b, now, policy);
    expect(step.kind).toBe("none");
    if (step.kind === "none") expect(step.nextCheckAt - now).toBeGreaterThan(7.9 * hour);
    expect(nextRotationStep(b, now + 8.1 * hour, policy).kind).toBe("publish-next-ca");
  });

  it("switches to the next CA only after the propagation delay", async () => {
    const b = { ...(await bundle(hour)), nextCaCert: "x", nextCaKey: "y", nextCaPublishedAt: 1_000 };
    expect(nextRotationStep(b, 1_000 + 59_999, policy)).toEqual({ kind: "none", nextCheckAt: 61_000 });
    expect(nextRotationStep(b, 61_000, policy).kind).toBe("switch-to-next-ca");
  });
});

describe("PEM bundles", () => {
  it("splits and joins certificates", async () => {
    const a = (await createCertificateAuthority({ commonName: "a" })).cert;
    const b = (await createCertificateAuthority({ commonName: "b" })).cert;
    expect(pemCertificates(joinPem([a, b]))).toEqual([a, b]);
    expect(pemCertificates("")).toEqual([]);
  });
});
