import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import type { Lease } from "../../../src/controller/lease-record.ts";
import type { ApiClient, ApiRequest } from "../../../src/k8s/api-client.ts";
import { NotFoundError } from "../../../src/k8s/errors.ts";
import {
  acquireDevLease,
  DevSessionHeldError,
  devLeaseRef,
  devSessionIdentity,
  holderOf,
  releaseDevLease,
  renewDevLease,
} from "../../../src/runtime/dev-lease.ts";

/** One Lease in memory, as the API server would keep it. */
function leaseStore(initial?: Lease) {
  let stored = initial;
  const client = {
    request: async (request: ApiRequest) => {
      const method = request.method ?? "GET";
      if (method === "GET") {
        if (!stored) throw new NotFoundError({ status: 404, method, path: request.path, body: {} });
        return structuredClone(stored);
      }
      if (method === "DELETE") {
        stored = undefined;
        return {};
      }
      stored = structuredClone(request.body as Lease);
      return stored;
    },
  } as unknown as ApiClient;
  return { client, lease: () => stored };
}

const ref = devLeaseRef("capstan-abc");

function heldBy(session: { host: string; pid: number; startedAt: string }, renewedMsAgo: number): Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      resourceVersion: "7",
      annotations: { "capstan.dev/dev-session": JSON.stringify({ ...session, moduleDir: "/work/other" }) },
    } as Lease["metadata"],
    spec: {
      holderIdentity: `${session.host}/${session.pid}/${session.startedAt}`,
      leaseDurationSeconds: 15,
      renewTime: new Date(Date.now() - renewedMsAgo).toISOString(),
    },
  };
}

describe("dev session Lease", () => {
  it("is named after the module's objects, in kube-system", () => {
    expect(ref).toEqual({ namespace: "kube-system", name: "capstan-abc-dev" });
  });

  it("a live holder refuses the second session, naming it", async () => {
    // The test process itself is the live holder on this host.
    const { client } = leaseStore(heldBy({ host: hostname(), pid: process.pid, startedAt: "then" }, 1_000));
    const error = await acquireDevLease(client, ref, devSessionIdentity("/work/mine")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevSessionHeldError);
    expect((error as Error).message).toBe(
      `another capstan dev session runs this module on this cluster (pid ${process.pid} on ${hostname()}, started then, in /work/other; Lease kube-system/capstan-abc-dev): stop it first`,
    );
  });

  it("is taken over when its holder's process is gone on this host, or it was not renewed in time", async () => {
    const me = devSessionIdentity("/work/mine");
    for (const lease of [
      heldBy({ host: hostname(), pid: 4194305, startedAt: "then" }, 1_000),
      heldBy({ host: "elsewhere", pid: 1, startedAt: "then" }, 16_000),
    ]) {
      const store = leaseStore(lease);
      await acquireDevLease(store.client, ref, me);
      expect(store.lease()?.spec.holderIdentity).toBe(holderOf(me));
    }
  });

  it("renews while held, reports a takeover, and releases only its own", async () => {
    const me = devSessionIdentity("/work/mine");
    const store = leaseStore();
    await acquireDevLease(store.client, ref, me);
    expect(await renewDevLease(store.client, ref, me)).toBeUndefined();

    const other = heldBy({ host: "elsewhere", pid: 9, startedAt: "later" }, 0);
    const taken = leaseStore(other);
    expect(await renewDevLease(taken.client, ref, me)).toBe("pid 9 on elsewhere, started later, in /work/other");
    expect(await releaseDevLease(taken.client, ref, holderOf(me))).toBe(false);
    expect(taken.lease()).toBeDefined();

    expect(await releaseDevLease(store.client, ref, holderOf(me))).toBe(true);
    expect(store.lease()).toBeUndefined();
  });
});
