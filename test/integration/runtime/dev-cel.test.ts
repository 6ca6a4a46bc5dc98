// `capstan dev` with a ValidateCEL binding (issue 17): the session applies the module's
// ValidatingAdmissionPolicy and binding, replaces them when the module changes, and removes them on exit.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ApiError, NotFoundError } from "../../../src/k8s/errors.ts";
import { freePort } from "../../../src/testing/control-plane/ports.ts";
import { adminClient, eventually, freshNamespace } from "../../support/cluster.ts";
import { installCapstan, packCapstan } from "../build/module-fixture.ts";

const capability = (message: string, ns: string) => `
import { Capability, PeprModule, a } from "capstan";
import pkg from "./package.json" with { type: "json" };

const rules = new Capability({ name: "rules", description: "dev CEL test", namespaces: ["${ns}"] });
rules.When(a.ConfigMap).IsCreated().InNamespace("${ns}")
  .ValidateCEL({ expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: "${message}" });
new PeprModule(pkg, [rules]);
`;

let client: ApiClient;
let dev: ChildProcess | undefined;
let output = "";
beforeAll(async () => {
  client = await adminClient();
});
afterAll(async () => {
  dev?.kill("SIGKILL");
  await client.close();
});

describe("capstan dev with ValidateCEL", () => {
  it("applies the policy, replaces it on change, removes it on exit, and its module process removes it when the session is killed", async () => {
    const ns = await freshNamespace(client, "dev-cel");
    const uuid = `devcel-${ns.slice(-8)}`;
    const work = mkdtempSync(join(tmpdir(), "capstan-dev-cel-"));
    const moduleDir = join(work, "module");
    mkdirSync(moduleDir);
    writeFileSync(
      join(moduleDir, "package.json"),
      JSON.stringify({ name: "dev-cel", capstan: { uuid, onError: "reject" } }),
    );
    writeFileSync(join(moduleDir, "capstan.ts"), capability("needs team v1", ns));
    installCapstan(moduleDir, packCapstan(work));

    const port = await freePort();
    const startDev = () => {
      const child = spawn(
        process.execPath,
        [join(moduleDir, "node_modules/capstan/bin/capstan.js"), "dev", "--port", String(port), "--namespace", ns],
        {
          cwd: moduleDir,
          env: { ...process.env, KUBECONFIG: inject("kubeconfig"), LOG_LEVEL: "info" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
      return child;
    };
    dev = startDev();

    const cms = `/api/v1/namespaces/${ns}/configmaps`;
    let n = 0;
    /** The denial message of a ConfigMap without a team label ("" = admitted). */
    const denial = async (): Promise<string> => {
      try {
        await client.request({
          method: "POST",
          path: cms,
          query: { dryRun: "All" },
          body: { metadata: { name: `c-${n++}` } },
        });
        return "";
      } catch (error) {
        if (error instanceof ApiError) return error.message;
        throw error;
      }
    };
    await eventually(async () => ((await denial()).includes("needs team v1") ? true : undefined), {
      timeoutMs: 90_000,
      what: "the dev module's policy to deny",
    }).catch((error: Error) => {
      throw new Error(`${error.message}\ncapstan dev printed:\n${output}`);
    });
    const labelled = await client.request<{ metadata: { name: string } }>({
      method: "POST",
      path: cms,
      body: { metadata: { name: "with-team", labels: { team: "a" } } },
    });
    expect(labelled.metadata.name).toBe("with-team");

    writeFileSync(join(moduleDir, "capstan.ts"), capability("needs team v2", ns));
    await eventually(async () => ((await denial()).includes("needs team v2") ? true : undefined), {
      timeoutMs: 60_000,
      what: "the edited module's policy to take over",
    });

    const name = `capstan-${uuid}-rules-0-validate-cel-configmap`;
    const policyPath = `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}`;
    const bindingPath = `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${name}`;
    await client.request({ path: policyPath });
    const exited = new Promise((resolve) => dev?.once("exit", resolve));
    dev.kill("SIGINT");
    await exited;
    dev = undefined;
    await expect(client.request({ path: policyPath })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.request({ path: bindingPath })).rejects.toBeInstanceOf(NotFoundError);
    await eventually(async () => ((await denial()) === "" ? true : undefined), { what: "the policy to stop denying" });

    // A session killed outright: its module process removes the policies it reported.
    dev = startDev();
    await eventually(async () => ((await denial()).includes("needs team v2") ? true : undefined), {
      timeoutMs: 90_000,
      what: "the restarted session's policy to deny",
    });
    dev.kill("SIGKILL");
    dev = undefined;
    await eventually(
      async () =>
        (await client.request({ path: policyPath }).catch((error: unknown) => error)) instanceof NotFoundError
          ? true
          : undefined,
      { timeoutMs: 30_000, what: "the module process to remove the policy after its session was killed" },
    );
    await expect(client.request({ path: bindingPath })).rejects.toBeInstanceOf(NotFoundError);
  });
});
