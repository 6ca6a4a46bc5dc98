import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { WebhookCertificates } from "../../../src/runtime/webhook-certificates.ts";
import { pemCertificates } from "../../../src/tls/rotation-plan.ts";
import { adminClient, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
beforeAll(async () => {
  client = await adminClient();
});
afterAll(async () => {
  await client.close();
});

const configPath = (name: string) => `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`;

describe("WebhookCertificates", () => {
  it("creates one certificate when replicas race, then rotates it and keeps caBundle in step", async () => {
    const ns = await freshNamespace(client, "certs");
    const webhookName = `${ns}.capstan.test`;
    await client.request({
      method: "POST",
      path: "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
      body: {
        metadata: { name: webhookName },
        webhooks: [
          {
            name: `validate.${webhookName}`,
            clientConfig: { url: "https://127.0.0.1:1/validate" },
            rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] }],
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
            admissionReviewVersions: ["v1"],
            sideEffects: "None",
            failurePolicy: "Ignore",
          },
        ],
      },
    });
    try {
      const replica = () =>
        new WebhookCertificates({
          client,
          namespace: ns,
          secretName: "module-tls",
          dnsNames: ["module.capstan-system.svc"],
          validForMs: 120_000,
          renewBeforeMs: 60_000,
          propagationMs: 2_000,
          validatingWebhookConfigurations: [webhookName],
        });
      const [a, b] = await Promise.all([replica().ensure(), replica().ensure()]);
      expect(a.tlsCert).toBe(b.tlsCert);
      const first = new X509Certificate(a.tlsCert);
      expect(first.subjectAltName).toBe("DNS:module.capstan-system.svc");
      expect(first.checkIssued(new X509Certificate(a.caCert))).toBe(true);

      const caBundleOf = async () => {
        const config = await client.request<{ webhooks: { clientConfig: { caBundle: string } }[] }>({
          path: configPath(webhookName),
        });
        return Buffer.from(config.webhooks[0]?.clientConfig.caBundle ?? "", "base64").toString();
      };
      expect(pemCertificates(await caBundleOf())).toEqual([a.caCert]);

      const manager = replica();
      expect((await manager.rotateIfDue()).kind).toBe("none");
      const renewTime = Date.now() + 61_000;
      expect((await manager.rotateIfDue(renewTime)).kind).toBe("publish-next-ca");
      const published = (await manager.read())?.bundle;
      expect(published?.tlsCert).toBe(a.tlsCert);
      expect(pemCertificates(await caBundleOf())).toEqual([a.caCert, published?.nextCaCert]);

      expect((await manager.rotateIfDue(renewTime + 1_000)).kind).toBe("none");
      expect((await manager.rotateIfDue(renewTime + 2_000)).kind).toBe("switch-to-next-ca");
      const switched = (await manager.read())?.bundle;
      expect(switched?.caCert).toBe(published?.nextCaCert);
      expect(
        new X509Certificate(switched?.tlsCert ?? "").checkIssued(new X509Certificate(switched?.caCert ?? "")),
      ).toBe(true);
      expect(pemCertificates(await caBundleOf())).toEqual([a.caCert, switched?.caCert]);
    } finally {
      await client.request({ method: "DELETE", path: configPath(webhookName) }).catch(() => {});
    }
  });
});
