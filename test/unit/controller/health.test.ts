import { describe, expect, it } from "vitest";
import { EventLoopMonitor, informerReadiness, longestRunningCheck } from "../../../src/controller/health.ts";
import type { InformerHealth } from "../../../src/informer/index.ts";
import { FakeClock } from "../../../src/time/fake-clock.ts";

function informer(overrides: Partial<InformerHealth>): InformerHealth {
  return {
    kind: "ConfigMap",
    namespace: "",
    labelSelector: "",
    fieldSelector: "",
    state: "watching",
    synced: true,
    lastEventAgeSeconds: 3,
    reconnects: 0,
    relists: 0,
    backoffMs: 0,
    consecutiveFailures: 0,
    lastError: undefined,
    resourceVersion: "1",
    cachedObjects: 0,
    pendingEvents: 0,
    subscribers: 1,
    ...overrides,
  };
}

describe("informer readiness", () => {
  it("is ready only when every informer is synced, running and recently heard from", () => {
    expect(informerReadiness([informer({})]).ok).toBe(true);
    expect(informerReadiness([informer({}), informer({ synced: false, state: "listing" })]).ok).toBe(false);
    expect(informerReadiness([informer({ state: "stopped" })]).ok).toBe(false);
    const stale = informerReadiness(
      [informer({ lastEventAgeSeconds: 31, state: "backoff", lastError: "ECONNRESET" })],
      {
        staleAfterSeconds: 30,
      },
    );
    expect(stale.ok).toBe(false);
    expect(stale.checks[0]?.detail).toMatch(/stale.*31 s.*ECONNRESET/);
    expect(informerReadiness([informer({ lastEventAgeSeconds: undefined })]).ok).toBe(false);
  });
});

describe("event-loop liveness", () => {
  it("fails after the loop was blocked longer than the limit, and recovers after the memory window", async () => {
    const clock = new FakeClock();
    const monitor = new EventLoopMonitor({ clock, intervalMs: 1000, maxLagMs: 5000, rememberMs: 10_000 });
    monitor.start();
    await clock.advance(3000);
    expect(monitor.check().ok).toBe(true);
    clock.jump(8000);
    expect(monitor.check()).toMatchObject({ ok: false, detail: expect.stringMatching(/blocked for 7000 ms/) });
    await clock.advance(1);
    expect(monitor.check()).toMatchObject({ ok: false, detail: expect.stringMatching(/was blocked/) });
    await clock.advance(10_000);
    expect(monitor.check().ok).toBe(true);
    monitor.stop();
  });

  it("reports a hung callback only when a limit is set", () => {
    expect(longestRunningCheck("reconcile", 900).ok).toBe(true);
    expect(longestRunningCheck("reconcile", 900, { maxCallbackSeconds: 600 }).ok).toBe(false);
  });
});
