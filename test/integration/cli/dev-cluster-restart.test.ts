import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../../src/k8s/api-client.ts";
import { startControlPlane, stopControlPlane } from "../../../src/testing/control-plane/control-plane.ts";
import { eventually } from "../../support/cluster.ts";
import { packCapstan } from "../build/module-fixture.ts";
import {
  type DevProcess,
  greetingModule,
  greetingOf,
  mutatingConfig,
  servesGreeting,
  sessionLines,
  startDev,
  stopDev,
  writeModule,
} from "./dev-fixture.ts";

// issue 21, problem 5: `cluster down` + `cluster up` under `capstan dev`. This test runs its own
// control plane (stopped and started again: new port, new certificates, empty etcd), as
// `capstan cluster down` and `capstan cluster up` do with theirs.

const ns = "dev-cluster-restart";
let stateDir: string;
let kubeconfig: string;
let work: string;
let tarball: string;
let dev: DevProcess | undefined;

const connect = () => ApiClient.fromKubeconfig({ kubeconfig });
async function withClient<T>(use: (client: ApiClient) => Promise<T>): Promise<T> {
  const client = await connect();
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
const createNamespace = () =>
  withClient((client) =>
    client.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: ns } } }),
  );

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "capstan-dev-restart-"));
  stateDir = join(work, "cluster");
  tarball = packCapstan(work);
  kubeconfig = (await startControlPlane({ stateDir, controllerManager: false })).kubeconfig;
}, 300_000);
afterAll(async () => {
  await stopDev(dev);
  await stopControlPlane(stateDir);
});

describe("capstan dev and a cluster that goes away", () => {
  it("says once that the API server is lost, and re-registers the webhooks within 10 s of a new one being ready", async () => {
    await createNamespace();
    const uuid = "dev-cluster-restart";
    const moduleDir = writeModule(work, tarball, "restart", { uuid }, greetingModule(ns, '"before"'));
    dev = startDev(moduleDir, kubeconfig);
    await withClient((client) => servesGreeting(client, ns, "before"));
    const serverBefore = (await withClient(async (client) => client.connection.server)) as string;

    await stopControlPlane(stateDir);
    const stoppedAt = Date.now();
    await dev.waitFor(/lost the API server/, 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(dev.output().match(/lost the API server/g)).toHaveLength(1);

    const state = await startControlPlane({ stateDir, controllerManager: false });
    const readyAt = Date.now();
    expect(state.server).not.toBe(serverBefore);
    // The new cluster starts empty: the namespace the test uses comes back, the webhooks must too.
    await createNamespace();
    let n = 0;
    await eventually(
      async () =>
        (await withClient((client) => greetingOf(client, ns, `after-${n++}`))) === "before" ? true : undefined,
      { timeoutMs: 10_000, intervalMs: 200, what: "the webhooks to be back on the new API server" },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\ncapstan dev printed:\n${dev?.output()}`);
    });
    const backAfter = Date.now() - readyAt;
    console.log(`[dev-cluster-restart] webhooks admitting again ${backAfter} ms after the new control plane was ready`);
    expect(backAfter).toBeLessThan(10_000);
    await dev.waitFor(/the API server is back at https:\/\/127\.0\.0\.1:\d+; registering the webhooks again/, 1_000);

    // Lost again, then Ctrl-C: one message that says what was left behind, never "removed" too.
    await stopControlPlane(stateDir, { removeState: false });
    await dev.waitFor(/lost the API server[\s\S]*lost the API server/, 10_000);
    const code = await stopDev(dev);
    expect(code).toBe(0);
    const stopLines = sessionLines(dev.output()).filter((line) => /^capstan dev: (stopped|could not)/.test(line));
    expect(stopLines).toEqual([
      expect.stringMatching(
        /^capstan dev: stopped; could not remove webhook configuration capstan-dev-cluster-restart \(.+\); once the cluster is back, run: kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration capstan-dev-cluster-restart$/,
      ),
    ]);
    dev = undefined;

    // And with the cluster there, Ctrl-C removes them and says only that.
    kubeconfig = (await startControlPlane({ stateDir, controllerManager: false })).kubeconfig;
    await createNamespace();
    dev = startDev(moduleDir, kubeconfig);
    await withClient((client) => servesGreeting(client, ns, "before"));
    expect(await stopDev(dev)).toBe(0);
    expect(sessionLines(dev.output())).toContain(
      "capstan dev: stopped; removed webhook configuration capstan-dev-cluster-restart",
    );
    expect(dev.output()).not.toMatch(/could not/);
    expect(await withClient((client) => mutatingConfig(client, `capstan-${uuid}`))).toBeUndefined();
  });
});
