import { describe, expect, it } from "vitest";
import { informerReadiness } from "../../../src/controller/health.ts";
import type { InformerHealth } from "../../../src/informer/index.ts";

const healthy: InformerHealth = {
  kind: "ConfigMap",
  namespace: "apps",
  labelSelector: "",
  fieldSelector: "",
  state: "watching",
  synced: true,
  lastEventAgeSeconds: 1,
  reconnects: 0,
  relists: 0,
  backoffMs: 0,
  consecutiveFailures: 0,
  lastError: undefined,
  resourceVersion: "7",
  cachedObjects: 3,
  pendingEvents: 0,
  subscribers: 1,
  stalled: undefined,
  stalledSeconds: 0,
  stalls: 0,
  eventLoopBlockedSeconds: 0,
};

describe("readiness of a stalled informer", () => {
  it("fails while the watch stream is stalled, though it heard from the server recently", () => {
    const result = informerReadiness([{ ...healthy, stalled: "stream", stalledSeconds: 4 }]);
    expect(result.ok).toBe(false);
    expect(result.checks[0]?.detail).toMatch(/^stale: the watch stalled .* 4 s ago; reconnecting/);
  });

  it("fails while events wait and no subscriber call completes", () => {
    const result = informerReadiness([{ ...healthy, stalled: "delivery", stalledSeconds: 31, pendingEvents: 12 }]);
    expect(result.ok).toBe(false);
    expect(result.checks[0]?.detail).toBe("stalled: 12 events waiting and no subscriber call completed for 31 s");
  });

  it("passes again once the stall is over", () => {
    expect(informerReadiness([{ ...healthy, stalls: 2 }]).ok).toBe(true);
  });
});
