import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const cfg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
  pepr: { uuid: string; onError: string; webhookTimeout: number };
};

interface WebhookConfiguration {
  webhooks: { name: string; timeoutSeconds: number; failurePolicy: string }[];
}
interface Namespace {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
}

export default {
  description:
    "The pepr block: webhookTimeout and onError on Pepr's webhook configurations, env in the module, alwaysIgnore.namespaces",
  async run(t) {
    // Created, not applied (as Pepr's e2e tests do): kubectl apply adds an annotation of its own.
    const create = async (yaml: string) => {
      const created = await t.kubectlRun(["create", "-f", "-"], yaml);
      if (created.code !== 0) throw new Error(`kubectl create failed: ${created.stderr}`);
    };
    for (const ns of ["z-config-ignore", "z-config"])
      await create(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
    for (const ns of ["z-config-ignore", "z-config"])
      await create(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: noop\n  namespace: ${ns}\ndata: {}\n`);
    await t.waitForLog(/"msg":"noop"/);

    // webhookTimeout and onError, on the configurations named pepr-<uuid>.
    const moduleName = `pepr-${cfg.pepr.uuid}`;
    for (const kind of ["mutatingwebhookconfiguration", "validatingwebhookconfiguration"]) {
      const configuration = JSON.parse(await t.kubectl("get", kind, moduleName, "-o", "json")) as WebhookConfiguration;
      expect(configuration.webhooks.length).toBeGreaterThan(0);
      for (const webhook of configuration.webhooks) {
        expect(webhook.timeoutSeconds).toBe(cfg.pepr.webhookTimeout);
        expect(webhook.failurePolicy).toBe(cfg.pepr.onError === "reject" ? "Fail" : "Ignore");
      }
    }

    // env: the module process has the pepr.env variables.
    const env = t.moduleLogRecords().filter((line) => line.msg === "env");
    expect(env.map((line) => line.ITS)).toEqual(["a bird, a plane, superman"]);

    // alwaysIgnore.namespaces: neither the namespace nor anything in it reaches the module.
    const namespace = async (name: string) =>
      JSON.parse(await t.kubectl("get", "namespace", name, "-o", "json")) as Namespace;
    expect((await namespace("z-config")).metadata.annotations).toEqual({
      [`${cfg.pepr.uuid}.pepr.dev/z-config`]: "succeeded",
      pepr: "was here",
    });
    expect((await namespace("z-config-ignore")).metadata.annotations).toBeUndefined();
    const seen = t.moduleLogRecords().filter((line) => line.msg === "noop" || line.msg === "env");
    expect(seen.map((line) => line.namespace)).toEqual(["z-config", "z-config"]);

    for (const ns of ["z-config-ignore", "z-config"]) await t.kubectl("delete", "namespace", ns, "--wait=false");
  },
} satisfies CompatTest;
