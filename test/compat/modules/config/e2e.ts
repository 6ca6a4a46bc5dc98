import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

interface ConfigMap {
  metadata: { annotations?: Record<string, string> };
}
interface WebhookConfiguration {
  webhooks: { timeoutSeconds?: number; failurePolicy?: string }[];
}

export default {
  description:
    "pepr.env reaches process.env, alwaysIgnore namespaces are never admitted, webhookTimeout and onError ignore",
  async run(t) {
    for (const ns of ["compat-config", "compat-config-ignored"])
      await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
    const create = async (namespace: string, name: string) => {
      await t.apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n  labels:\n    compat-config: "yes"\n`,
      );
      return (JSON.parse(await t.kubectl("get", "configmap", name, "-n", namespace, "-o", "json")) as ConfigMap)
        .metadata.annotations;
    };
    expect(await create("compat-config", "seen")).toMatchObject({
      greeting: "hello from package.json",
      "second-setting": "42",
    });
    expect((await create("compat-config-ignored", "ignored"))?.greeting).toBeUndefined();

    // onError ignore: a callback that throws lets the object in.
    await t.apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: throws\n  namespace: compat-config\n");

    const webhooks = JSON.parse(
      await t.kubectl("get", "mutatingwebhookconfiguration", "pepr-config", "-o", "json"),
    ) as WebhookConfiguration;
    expect(webhooks.webhooks.length).toBeGreaterThan(0);
    for (const webhook of webhooks.webhooks) {
      expect(webhook.timeoutSeconds).toBe(7);
      expect(webhook.failurePolicy).toBe("Ignore");
    }
  },
} satisfies CompatTest;
