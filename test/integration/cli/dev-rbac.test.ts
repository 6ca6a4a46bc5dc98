import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { packCapstan } from "../build/module-fixture.ts";
import { type DevProcess, startDev, stopDev, writeModule } from "./dev-fixture.ts";

// issue 21, problem 8: RBAC gaps found in dev, not in production. `capstan dev` runs the module's
// API calls as its generated ServiceAccount (impersonation), so a K8s() call the generated role does
// not allow fails in dev, with the exact rule to add to the module's config.

const DEV_NS = "capstan-dev-test";
let client: ApiClient;
let work: string;
let tarball: string;
const devs: DevProcess[] = [];

beforeAll(async () => {
  client = await adminClient();
  work = mkdtempSync(join(tmpdir(), "capstan-dev-rbac-"));
  tarball = packCapstan(work);
});
afterAll(async () => {
  for (const dev of devs) await stopDev(dev);
  await client.close();
});

/** A Watch on labelled ConfigMaps in `ns` that writes a ConfigMap of its own with K8s().Apply. */
function applyingModule(ns: string): string {
  return `
import { Capability, K8s, PeprModule, a, kind } from "capstan";
import pkg from "./package.json" with { type: "json" };
const writer = new Capability({ name: "writer", description: "dev rbac test", namespaces: ["${ns}"] });
writer.When(a.ConfigMap).IsCreated().InNamespace("${ns}").WithLabel("trigger")
  .Watch(async (cm) => {
    await K8s(kind.ConfigMap).Apply({ metadata: { name: \`made-\${cm.metadata?.name}\`, namespace: "${ns}" }, data: { from: "module" } });
  });
new PeprModule(pkg, [writer]);
`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await client.request({ path });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

async function trigger(ns: string, name: string): Promise<void> {
  await client.request({
    method: "POST",
    path: `/api/v1/namespaces/${ns}/configmaps`,
    body: { metadata: { name, labels: { trigger: "yes" } } },
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Each printed line's message: dev prints JSON lines when piped (`msg`), plain lines otherwise. */
function messages(output: string): string[] {
  return output.split("\n").map((line) => {
    if (!line.startsWith("{")) return line;
    try {
      return String((JSON.parse(line) as { msg?: unknown }).msg ?? line);
    } catch {
      return line;
    }
  });
}
const rbacLines = (dev: DevProcess) => messages(dev.output()).filter((line) => line.includes("RBAC: "));

describe("capstan dev runs the module as its generated ServiceAccount", () => {
  it("a missing ConfigMap write permission: dev reports the 403 once with the rule to add; with the rule added the write succeeds", async () => {
    const ns = await freshNamespace(client, "devrbac");
    const uuid = `devrbac-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "rbac", { uuid }, applyingModule(ns));
    const dev = startDev(moduleDir, inject("kubeconfig"));
    devs.push(dev);
    await dev.waitFor(/capstan dev: module serving/);

    // The session applied the generated ServiceAccount and roles under the deploy manifests' names.
    const sa = `/api/v1/namespaces/${DEV_NS}/serviceaccounts/capstan-${uuid}`;
    const clusterRole = `/apis/rbac.authorization.k8s.io/v1/clusterroles/capstan-${uuid}`;
    expect(await exists(sa)).toBe(true);
    expect(await exists(clusterRole)).toBe(true);

    await trigger(ns, "first");
    await trigger(ns, "second");
    const rule = `{"apiGroups":[""],"resources":["configmaps"],"verbs":["create","patch"]}`;
    const line = `capstan dev: RBAC: the module's ServiceAccount ${DEV_NS}/capstan-${uuid} may not patch configmaps (apiGroup "") in namespace ${ns} (an Apply creates or patches), so this call fails once deployed; add to package.json capstan.rbac: ${rule}`;
    await dev.waitFor(/may not patch configmaps/);
    // Both callbacks failed (the module's log names each object), yet the rule is said once.
    await dev.waitFor(/made-second/);
    expect(rbacLines(dev)).toEqual([line]);
    expect(await exists(`/api/v1/namespaces/${ns}/configmaps/made-first`)).toBe(false);

    // The rule added where the line says: the reloaded module writes.
    writeFileSync(
      join(moduleDir, "package.json"),
      JSON.stringify({ name: "rbac", capstan: { onError: "reject", uuid, rbac: [JSON.parse(rule)] } }),
    );
    await dev.waitFor(/capstan dev: module reloaded/);
    await trigger(ns, "third");
    await eventually(
      async () => ((await exists(`/api/v1/namespaces/${ns}/configmaps/made-third`)) ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: "the module to write made-third once its config grants patch on ConfigMaps",
      },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\ncapstan dev printed:\n${dev.output()}`);
    });
    // The engine's own calls (informers, the Store) never needed more than the generated rules.
    expect(rbacLines(dev)).toEqual([line]);

    // Ctrl-C removes the ServiceAccount and roles with the webhooks.
    expect(await stopDev(dev)).toBe(0);
    expect(await exists(sa)).toBe(false);
    expect(await exists(clusterRole)).toBe(false);
    expect(await exists(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/capstan-${uuid}`)).toBe(false);
    expect(await exists(`/apis/rbac.authorization.k8s.io/v1/namespaces/${DEV_NS}/roles/capstan-${uuid}`)).toBe(false);
  });

  it("a Pepr module's schedule: Pepr's names, the rule for pepr.rbac, and the engine's Pepr-mode calls covered", async () => {
    const ns = await freshNamespace(client, "devpeprrbac");
    const uuid = `devpeprrbac-${ns.slice(-8)}`;
    const code = `
import { Capability, K8s, PeprModule, kind } from "pepr";
import pkg from "./package.json" with { type: "json" };
const sched = new Capability({ name: "sched", description: "dev rbac test", namespaces: ["${ns}"] });
sched.OnSchedule({
  name: "write",
  every: 10,
  unit: "seconds",
  run: async () => {
    await K8s(kind.ConfigMap).Apply({ metadata: { name: "scheduled", namespace: "${ns}" }, data: { from: "schedule" } });
  },
});
new PeprModule(pkg, [sched]);
`;
    const moduleDir = writeModule(work, tarball, "peprrbac", { uuid }, code, "pepr");
    const dev = startDev(moduleDir, inject("kubeconfig"));
    devs.push(dev);
    await dev.waitFor(/capstan dev: module serving/);
    // Pepr's names: the ServiceAccount and ClusterRole pepr-<uuid>, the Role pepr-<uuid>-store.
    expect(await exists(`/api/v1/namespaces/${DEV_NS}/serviceaccounts/pepr-${uuid}`)).toBe(true);
    expect(await exists(`/apis/rbac.authorization.k8s.io/v1/namespaces/${DEV_NS}/roles/pepr-${uuid}-store`)).toBe(true);

    const rule = `{"apiGroups":[""],"resources":["configmaps"],"verbs":["create","patch"]}`;
    const line = `capstan dev: RBAC: the module's ServiceAccount ${DEV_NS}/pepr-${uuid} may not patch configmaps (apiGroup "") in namespace ${ns} (an Apply creates or patches), so this call fails once deployed; add to package.json pepr.rbac: ${rule}`;
    await dev.waitFor(/may not patch configmaps/, 60_000);
    expect(rbacLines(dev)).toEqual([line]);

    writeFileSync(
      join(moduleDir, "package.json"),
      JSON.stringify({ name: "peprrbac", pepr: { onError: "reject", uuid, rbac: [JSON.parse(rule)] } }),
    );
    await dev.waitFor(/capstan dev: module reloaded/);
    await eventually(async () => ((await exists(`/api/v1/namespaces/${ns}/configmaps/scheduled`)) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: "the schedule to write its ConfigMap once pepr.rbac grants it",
    }).catch((error: Error) => {
      throw new Error(`${error.message}\ncapstan dev printed:\n${dev.output()}`);
    });
    // The engine's Pepr-mode calls (the PeprStore import, the Store, the schedule's state) needed nothing more.
    expect(rbacLines(dev)).toEqual([line]);
    expect(await stopDev(dev)).toBe(0);
    expect(await exists(`/api/v1/namespaces/${DEV_NS}/serviceaccounts/pepr-${uuid}`)).toBe(false);
  });

  it("--no-impersonate runs the module with the kubeconfig's rights and applies no ServiceAccount", async () => {
    const ns = await freshNamespace(client, "devnoimp");
    const uuid = `devnoimp-${ns.slice(-8)}`;
    const moduleDir = writeModule(work, tarball, "noimp", { uuid }, applyingModule(ns));
    const dev = startDev(moduleDir, inject("kubeconfig"), ["--no-impersonate"]);
    devs.push(dev);
    await dev.waitFor(/capstan dev: module serving/);
    await trigger(ns, "first");
    await eventually(
      async () => ((await exists(`/api/v1/namespaces/${ns}/configmaps/made-first`)) ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: "the module to write made-first with the admin kubeconfig's rights",
      },
    );
    expect(await exists(`/api/v1/namespaces/${DEV_NS}/serviceaccounts/capstan-${uuid}`)).toBe(false);
    expect(rbacLines(dev)).toEqual([]);
    expect(await stopDev(dev)).toBe(0);
  });

  it("a user who may not impersonate is told so, and about --no-impersonate, in one line", async () => {
    const ns = await freshNamespace(client, "devnoperm");
    const uuid = `devnoperm-${ns.slice(-8)}`;
    // A ServiceAccount with no rights at all, as the kubeconfig's user.
    await client.request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/serviceaccounts`,
      body: { metadata: { name: "nobody" } },
    });
    const token = await client.request<{ status: { token: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/serviceaccounts/nobody/token`,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
    });
    const admin = parse(readFileSync(inject("kubeconfig"), "utf8")) as { users: { user: unknown }[] };
    for (const user of admin.users) user.user = { token: token.status.token };
    const kubeconfig = join(work, `nobody-${ns}.yaml`);
    writeFileSync(kubeconfig, stringify(admin));

    const moduleDir = writeModule(work, tarball, "noperm", { uuid }, applyingModule(ns));
    const dev = startDev(moduleDir, kubeconfig);
    devs.push(dev);
    expect(await dev.exited).toBe(1);
    expect(dev.output()).toMatch(
      new RegExp(
        `your kubeconfig user may not impersonate serviceaccounts ${DEV_NS}/capstan-${escapeRegExp(uuid)}, group system:serviceaccounts, group system:serviceaccounts:${DEV_NS}: .*run \`capstan dev --no-impersonate\``,
      ),
    );
    expect(await exists(`/api/v1/namespaces/${DEV_NS}/serviceaccounts/capstan-${uuid}`)).toBe(false);
  });
});
