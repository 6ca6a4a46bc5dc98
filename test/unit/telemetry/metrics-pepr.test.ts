import { describe, expect, it } from "vitest";
import { registry } from "../../../src/telemetry/metrics.ts";
import { peprWatchMetrics } from "../../../src/telemetry/metrics-pepr.ts";

const hour = 3_600_000;
const start = Date.parse("2026-12-04T00:00:00Z");

describe("Pepr's watch metrics", () => {
  it("pepr_cache_miss counts per hourly window and keeps PEPR_MAX_CACHE_MISS_WINDOWS of them", async () => {
    peprWatchMetrics.setMaxCacheMissWindows(2);
    peprWatchMetrics.cacheMiss(start + 10);
    peprWatchMetrics.cacheMiss(start + 20);
    peprWatchMetrics.cacheMiss(start + hour);
    peprWatchMetrics.cacheMiss(start + 2 * hour + 5);
    const text = await registry.getSingleMetricAsString("pepr_cache_miss");
    expect(text).not.toContain("2026-12-04T00:00:00.000Z");
    expect(text).toContain('pepr_cache_miss{window="2026-12-04T01:00:00.000Z"} 1');
    expect(text).toContain('pepr_cache_miss{window="2026-12-04T02:00:00.000Z"} 1');
  });

  it("pepr_resync_failure_count counts reconnects after failures by attempt, not routine reconnects", async () => {
    peprWatchMetrics.resyncFailure(0);
    peprWatchMetrics.resyncFailure(1);
    peprWatchMetrics.resyncFailure(1);
    peprWatchMetrics.resyncFailure(3);
    const text = await registry.getSingleMetricAsString("pepr_resync_failure_count");
    expect(text).toContain('pepr_resync_failure_count{count="1"} 2');
    expect(text).toContain('pepr_resync_failure_count{count="3"} 1');
    expect(text).not.toContain('count="0"');
  });
});
