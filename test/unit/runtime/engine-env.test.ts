import { hostname } from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { electionIdentity, LeaderElector } from "../../../src/controller/leader-election.ts";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { engineEnv } from "../../../src/runtime/engine-env.ts";

describe("engine settings the runtime reads from its environment", () => {
  it("takes the pod name from CAPSTAN_POD_NAME, then POD_NAME, else leaves it to the host name", () => {
    expect(engineEnv({ CAPSTAN_POD_NAME: "ours", POD_NAME: "theirs" }).podName).toBe("ours");
    expect(engineEnv({ POD_NAME: "theirs" }).podName).toBe("theirs");
    expect(engineEnv({})).toEqual({ storeLogValues: false });
  });

  it("logs Store values only when CAPSTAN_STORE_LOG_VALUES is exactly true", () => {
    expect(engineEnv({ CAPSTAN_STORE_LOG_VALUES: "true" }).storeLogValues).toBe(true);
    expect(engineEnv({ CAPSTAN_STORE_LOG_VALUES: "1" }).storeLogValues).toBe(false);
    expect(engineEnv({ CAPSTAN_STORE_LOG_VALUES: "TRUE" }).storeLogValues).toBe(false);
  });
});

describe("the leader elector's identity comes from its options, not the environment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("defaults to the host name with a random suffix even when CAPSTAN_POD_NAME is set", () => {
    vi.stubEnv("CAPSTAN_POD_NAME", "from-env");
    const elector = new LeaderElector({ client: {} as ApiClient, namespace: "ns", name: "lease" });
    expect(elector.identity).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_[0-9a-f]{8}$`));
  });

  it("uses the identity the runtime passes: the pod name with a random suffix", () => {
    expect(electionIdentity("pod-a")).toMatch(/^pod-a_[0-9a-f]{8}$/);
    expect(electionIdentity("pod-a")).not.toBe(electionIdentity("pod-a"));
    const elector = new LeaderElector({ client: {} as ApiClient, namespace: "ns", name: "lease", identity: "pod-a_1" });
    expect(elector.identity).toBe("pod-a_1");
  });
});
