import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyObject } from "../../../src/build/deploy/apply.ts";
import type { KubeObject } from "../../../src/build/manifest-input.ts";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { ApiError } from "../../../src/k8s/errors.ts";
import { removeScratchModule, type ScratchModule, scratchModule } from "./module-fixture.ts";

/** What a request as the module's ServiceAccount answers: the HTTP status (200 family as 200). */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
}

describe("generated RBAC, used through a TokenRequest token of the generated ServiceAccount", () => {
  let module: ScratchModule;
  let objects: KubeObject[];
  let namespace: string;
  let uuid: string;
  let asModule: ApiClient;

  beforeAll(async () => {
    module = await scratchModule("rbac", { buildArgs: ["--no-typecheck"] });
    ({ objects, namespace, uuid } = module);
    const admin = module.client;
    // RBAC and the webhook configurations for real (the webhooks only match ConfigMaps in the sample's
    // own namespace "hello-capstan", which no test uses); no Deployment, Service or module Secret.
    const real = new Set([
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Role",
      "RoleBinding",
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ]);
    for (const object of objects) if (real.has(object.kind)) await applyObject(admin, object);
    const token = await admin.request<{ status: { token: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/serviceaccounts/capstan-${uuid}/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
    });
    asModule = new ApiClient({
      server: admin.connection.server,
      tls: { ...(admin.connection.tls.ca ? { ca: admin.connection.tls.ca } : {}), rejectUnauthorized: true },
      headers: async () => ({ authorization: `Bearer ${token.status.token}` }),
    });
  }, 600_000);

  afterAll(() => removeScratchModule(module));

  it("grants cluster-wide only what the bindings need: read on the watched kind, Events, its own webhooks by name", () => {
    const clusterRole = objects.find((object) => object.kind === "ClusterRole") as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
    };
    const unnamed = clusterRole.rules.filter((rule) => !rule.resourceNames);
    expect(unnamed).toEqual([
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
    ]);
    const named = clusterRole.rules.filter((rule) => rule.resourceNames);
    expect(named.map((rule) => [rule.resources, rule.resourceNames])).toEqual([
      [["mutatingwebhookconfigurations"], [`capstan-${uuid}`]],
      [["validatingwebhookconfigurations"], [`capstan-${uuid}`]],
    ]);
    expect(JSON.stringify(objects)).not.toContain('"*"');
  });

  it("is enough for what the module does: watch ConfigMaps, Events, Leases, its TLS Secret and caBundle", async () => {
    const ns = `/api/v1/namespaces/${namespace}`;
    expect(await statusOf(asModule.request({ path: "/api/v1/configmaps", query: { limit: 1 } }))).toBe(200);
    const watch = await asModule.stream({ path: "/api/v1/configmaps", query: { watch: true, timeoutSeconds: 1 } });
    watch.body.destroy();
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: "capstan-" },
      involvedObject: { kind: "ConfigMap", namespace, name: "x" },
      reason: "Test",
      message: "rbac test",
      type: "Normal",
    };
    expect(await statusOf(asModule.request({ method: "POST", path: `${ns}/events`, body: event }))).toBe(200);
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: `capstan-${uuid}-controller` },
      spec: {},
    };
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
    expect(await statusOf(asModule.request({ method: "POST", path: leases, body: lease }))).toBe(200);
    expect(await statusOf(asModule.request({ path: `${leases}/capstan-${uuid}-controller` }))).toBe(200);
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `capstan-${uuid}-tls` },
      data: { "tls.crt": "" },
    };
    expect(await statusOf(asModule.request({ method: "POST", path: `${ns}/secrets`, body: secret }))).toBe(200);
    expect(await statusOf(asModule.request({ path: `${ns}/secrets/capstan-${uuid}-tls` }))).toBe(200);
    expect(
      await statusOf(asModule.request({ method: "PUT", path: `${ns}/secrets/capstan-${uuid}-tls`, body: secret })),
    ).toBe(200);
    const webhook = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/capstan-${uuid}`;
    const config = await asModule.request<{ webhooks: { clientConfig: Record<string, unknown> }[] }>({ path: webhook });
    for (const entry of config.webhooks) entry.clientConfig.caBundle = Buffer.from("not a real CA").toString("base64");
    expect(await statusOf(asModule.request({ method: "PUT", path: webhook, body: config }))).toBe(200);
  });

  it("is refused everything else (403)", async () => {
    const ns = `/api/v1/namespaces/${namespace}`;
    const refused = [
      asModule.request({ path: `${ns}/secrets` }),
      asModule.request({ path: "/api/v1/namespaces/default/secrets/anything" }),
      asModule.request({ path: "/api/v1/pods" }),
      asModule.request({ method: "POST", path: `${ns}/configmaps`, body: { metadata: { name: "x" } } }),
      asModule.request({ path: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations" }),
      asModule.request({
        method: "DELETE",
        path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/capstan-${uuid}`,
      }),
      asModule.request({ path: "/apis/rbac.authorization.k8s.io/v1/clusterroles" }),
      asModule.request({ path: "/apis/coordination.k8s.io/v1/namespaces/default/leases" }),
    ];
    expect(await Promise.all(refused.map(statusOf))).toEqual(refused.map(() => 403));
  });

  it("capstan build warns about a K8s() call these rules do not grant, with the rule to add", () => {
    // The sample watches ConfigMaps: listing them is granted, applying one is not.
    appendFileSync(
      join(module.moduleDir, "capabilities", "hello-capstan.ts"),
      `
import { K8s, kind } from "capstan";
export async function copy(): Promise<void> {
  await K8s(kind.ConfigMap).InNamespace("elsewhere").Get();
  await K8s(kind.ConfigMap)
    .Apply({ metadata: { name: "copy", namespace: "elsewhere" } });
}
`,
    );
    const build = spawnSync(
      process.execPath,
      [join(module.moduleDir, "node_modules/capstan/bin/capstan.js"), "build", "--no-typecheck", "-o", "dist-scan"],
      { cwd: module.moduleDir, encoding: "utf8" },
    );
    expect(build.status, build.stderr).toBe(0);
    const warnings = build.stderr.split("\n").filter((line) => line.startsWith("capstan: warning: "));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^capstan: warning: K8s\(kind\.ConfigMap\)\.Apply at capabilities\/hello-capstan\.ts:\d+ needs create, patch on configmaps \(apiGroup ""\), which the generated RBAC rules do not grant; add to package\.json capstan\.rbac: \{"apiGroups":\[""\],"resources":\["configmaps"\],"verbs":\["create","patch"\]\}$/,
      ),
    ]);
  });
});
