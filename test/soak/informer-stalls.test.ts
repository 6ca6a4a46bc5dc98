import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivatePlane } from "../integration/informer/private-plane.ts";
import { randomStalls, runStallScenario, type StallStep } from "../integration/informer/stall-scenario.ts";

// `npm run soak`: 2,000 ConfigMaps churning for 30 minutes (CAPSTAN_SOAK_STALL_MINUTES to change)
// while this process's event loop stalls at random for 0.1-10 s (busy loops and synchronous child
// processes), every connection of the informer is reset every 4 s, the proxy goes black once and
// kube-apiserver restarts once. The figures go to the console and test/soak/last-run-stalls.json.
const minutes = Number(process.env.CAPSTAN_SOAK_STALL_MINUTES ?? 30);
if (!(minutes > 0)) throw new Error(`CAPSTAN_SOAK_STALL_MINUTES must be a positive number (got ${minutes})`);
const durationMs = minutes * 60_000;
const idleTimeoutMs = 3_000;

let plane: PrivatePlane;

beforeAll(async () => {
  plane = await PrivatePlane.start();
}, 180_000);

afterAll(async () => {
  await plane?.stop();
});

describe("informer soak under event-loop stalls", () => {
  it(
    `stays exact for 2,000 objects through ${minutes} min of random 0.1-10 s stalls, resets, a black hole and an API server restart`,
    async () => {
      const stalls = randomStalls(durationMs * 0.95, { minMs: 100, maxMs: 10_000, gapMs: [5_000, 20_000] });
      // The other faults take the place of a stall, so nothing overlaps.
      const takeSlot = (atMs: number, step: StallStep) => {
        const index = stalls.findIndex((s) => s.atMs >= atMs);
        stalls.splice(index < 0 ? stalls.length : index, index < 0 ? 0 : 1, step);
      };
      takeSlot(durationMs * 0.25, { atMs: durationMs * 0.25, kind: "black-hole", ms: 2.5 * idleTimeoutMs });
      takeSlot(durationMs * 0.6, { atMs: durationMs * 0.6, kind: "restart-api-server" });
      const report = await runStallScenario(plane, {
        objects: 2_000,
        namespaces: 8,
        writeDurationMs: durationMs,
        resetEveryMs: 4_000,
        idleTimeoutMs,
        steps: stalls,
        log: (line) => console.log(line),
      });
      writeFileSync(
        join(import.meta.dirname, "last-run-stalls.json"),
        `${JSON.stringify({ at: new Date().toISOString(), minutes, ...report }, null, 2)}\n`,
      );
      expect(report.violations).toEqual([]);
      expect(report.numbers.convergeAfterLastDisturbanceMs).toBeLessThanOrEqual(10_000);
      expect(report.numbers.readyz503AfterMs).toBeGreaterThan(0);
      expect(report.numbers.readyz200AfterMs).toBeGreaterThanOrEqual(0);
      expect(report.numbers.cachedObjects).toBe(report.numbers.listedObjects);
    },
    durationMs + 600_000,
  );
});
