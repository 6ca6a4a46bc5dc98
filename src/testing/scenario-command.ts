import { relative } from "node:path";
import { importModule } from "./load-module.ts";
import { parseScenarioFile } from "./scenario-file.ts";
import { formatScenarioReport, runScenarios } from "./scenario-runner.ts";

export interface ScenarioCommandOptions {
  /** The bundled module. */
  readonly bundle: string;
  readonly files: readonly string[];
  /** Paths in the report are relative to this. */
  readonly cwd?: string;
  readonly write?: (text: string) => void;
}

/** What `capstan test` runs inside the module's own capstan: load, parse, run, report. Returns the exit code. */
export async function runScenarioFiles(options: ScenarioCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const files = options.files.map((file) => parseScenarioFile(file));
  const module = await importModule(options.bundle);
  const report = await runScenarios(module, files);
  const cwd = options.cwd ?? process.cwd();
  write(formatScenarioReport(report, (path) => relative(cwd, path) || path));
  return report.failed === 0 ? 0 : 1;
}
