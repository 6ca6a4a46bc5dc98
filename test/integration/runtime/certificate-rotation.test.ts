import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ConfigMap } from "../../../src/k8s/models.ts";
import { Capability } from "../../../src/model/capability.ts";
import { PeprModule } from "../../../src/model/module.ts";
import { type AdmissionRole, startAdmissionRole } from "../../../src/runtime/admission-role.ts";
import { secretCredentials, type WebhookCredentials } from "../../../src/runtime/webhook-credentials.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";

let client: ApiClient;
let role: AdmissionRole | undefined;
let credentials: WebhookCredentials | undefined;
beforeAll(async () => {
  client = await adminClient();
});
afterAll(async () => {
  await role?.close(1_000);
  await credentials?.stop();
  if (role) {
    for (const kind of ["validating", "mutating"]) {
      await client
        .request({
          method: "DELETE",
          path: `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${role.configurationName}`,
        })
        .catch(() => {});
    }
  }
  await client.close();
});

describe("webhook certificate rotation", () => {
  it("replaces the serving certificate and caBundle while admission requests keep succeeding", async () => {
    const ns = await freshNamespace(client, "rotate");
    const uuid = ns;
    const capability = new Capability({
      name: "rotation",
      description: "denies ConfigMaps labelled deny",
      namespaces: [ns],
    });
    capability
      .When(ConfigMap)
      .IsCreated()
      .Validate((req) => (req.HasLabel("deny") ? req.Deny("denied by the rotation test") : req.Approve()));
    const module = new PeprModule({ capstan: { uuid, onError: "reject", webhookTimeout: 5 } }, [capability], {
      deferStart: true,
    });
    const configurationName = `capstan-${uuid}`;
    credentials = await secretCredentials({
      client,
      namespace: ns,
      secretName: "webhook-tls",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      validatingWebhookConfigurations: [configurationName],
      validForMs: 24_000,
      renewBeforeMs: 12_000,
      propagationMs: 4_000,
    });
    const firstCert = credentials.current().tlsCert;
    role = await startAdmissionRole({
      module,
      client,
      credentials,
      apiPath: "rotation-test-path",
      endpoint: (port) => ({ url: `https://127.0.0.1:${port}` }),
      port: 0,
      host: "127.0.0.1",
      configurationName,
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
    });
    const create = (name: string, deny: boolean) =>
      client.request({
        method: "POST",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        query: { dryRun: "All" },
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: deny ? { deny: "yes" } : {} } },
      });
    await eventually(
      () =>
        create("probe", true).then(
          () => undefined,
          (e: Error) => (/denied by the rotation test/.test(e.message) ? true : undefined),
        ),
      {
        what: "the webhook to take effect",
      },
    );

    const served = new Set<string>();
    let failures = 0;
    let requests = 0;
    const deadline = Date.now() + 24_000;
    while (Date.now() < deadline) {
      requests++;
      const deny = requests % 2 === 0;
      const outcome = await create(`cm-${requests}`, deny).then(
        () => "allowed",
        (e: Error) => (/denied by the rotation test/.test(e.message) ? "denied" : `error: ${e.message}`),
      );
      if (outcome !== (deny ? "denied" : "allowed")) failures++;
      served.add(new X509Certificate(credentials.current().tlsCert).serialNumber);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(failures).toBe(0);
    expect(requests).toBeGreaterThan(50);
    expect(credentials.current().tlsCert).not.toBe(firstCert);
    expect(served.size).toBeGreaterThanOrEqual(2);
  });
});
