import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../../../src/k8s/api-client.ts";
import { ClusterStore, type StoreFeed } from "../../../src/store/cluster-store.ts";
import { Log, type Logger } from "../../../src/telemetry/logger.ts";
import { FakeClock } from "../../../src/time/index.ts";
import { FakeShardApi } from "./fake-shard-api.ts";

const idleFeed: StoreFeed = {
  subscribe: () => () => {},
  start: () => {},
  waitForSync: () => new Promise<void>(() => {}),
  stop: async () => {},
  list: () => [],
};

/** The debug lines a ClusterStore built with `logValues` writes for one setItem. */
function queuedLines(logValues: boolean | undefined): unknown[] {
  const lines: unknown[] = [];
  const logger: Pick<Logger, "debug"> = { debug: ((fields: unknown) => lines.push(fields)) as Logger["debug"] };
  vi.spyOn(Log, "child").mockImplementation((() => logger) as unknown as typeof Log.child);
  const backend = new ClusterStore({
    client: {} as ApiClient,
    namespace: "ns",
    name: "mod",
    clock: new FakeClock(),
    api: new FakeShardApi(),
    feed: idleFeed,
    ...(logValues === undefined ? {} : { logValues }),
  });
  void backend.write("cap", "k", "secret-value").catch(() => {});
  return lines;
}

describe("Store values in the debug log", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("stay out unless the runtime passes logValues, whatever the environment says", () => {
    vi.stubEnv("CAPSTAN_STORE_LOG_VALUES", "true");
    expect(JSON.stringify(queuedLines(undefined))).not.toContain("secret-value");
    expect(JSON.stringify(queuedLines(false))).not.toContain("secret-value");
  });

  it("appear in 'store write queued' with logValues", () => {
    expect(queuedLines(true)).toContainEqual({ key: "cap/k", storedValue: "secret-value" });
  });
});
