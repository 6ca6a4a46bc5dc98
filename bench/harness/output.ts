// Writes what a bench run produced: results.json (the raw samples), RESULTS.md and latency.svg.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { latencyChart } from "./chart.ts";
import { checkGoals } from "./goals.ts";
import { type RunInfo, renderReport } from "./report.ts";
import type { ScenarioResult } from "./results.ts";

export interface RunRecord {
  readonly info: RunInfo;
  readonly results: readonly ScenarioResult[];
}

export async function writeOutputs(dir: string, record: RunRecord, options: { json: boolean }): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (options.json) writeFileSync(join(dir, "results.json"), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(dir, "latency.svg"), await latencyChart(record.results));
  writeFileSync(join(dir, "RESULTS.md"), renderReport(record.info, record.results, checkGoals(record.results)));
}
