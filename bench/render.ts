// Renders bench/RESULTS.md and bench/latency.svg again from bench/results.json, without measuring
// (after a change to the report, the chart or the goals):  node bench/render.ts [--out bench]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type RunRecord, writeOutputs } from "./harness/output.ts";

const { values } = parseArgs({ options: { out: { type: "string", default: "bench" } } });
const record = JSON.parse(readFileSync(join(values.out, "results.json"), "utf8")) as RunRecord;
await writeOutputs(values.out, record, { json: false });
process.stderr.write(`bench: rendered ${join(values.out, "RESULTS.md")} from results.json\n`);
