import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFaultScenario } from "../integration/informer/fault-scenario.ts";
import { PrivatePlane } from "../integration/informer/private-plane.ts";

// `npm run soak`: the full-size correctness-under-faults run (2,000 ConfigMaps over about three
// minutes). The numbers are printed and written to test/soak/last-run.json.
let plane: PrivatePlane;

beforeAll(async () => {
  plane = await PrivatePlane.start();
}, 180_000);

afterAll(async () => {
  await plane?.stop();
});

describe("informer soak under faults", () => {
  it("stays exact for 2,000 objects through resets, half-open connections, a 410 and an API server restart", async () => {
    const report = await runFaultScenario(plane, {
      objects: 2_000,
      namespaces: 8,
      writeDurationMs: 150_000,
      resetEveryMs: 4_000,
      idleTimeoutMs: 3_000,
      log: (line) => console.log(line),
    });
    writeFileSync(
      join(import.meta.dirname, "last-run.json"),
      `${JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2)}\n`,
    );
    expect(report.violations).toEqual([]);
    expect(report.numbers.relists).toBeGreaterThanOrEqual(1);
    expect(report.numbers.blackHoles).toBe(2);
    expect(report.numbers.cachedObjects).toBe(report.numbers.listedObjects);
  }, 900_000);
});
