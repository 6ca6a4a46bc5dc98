// Forked by `capstan test`: runs the scenarios with the capstan the module itself resolves, so the
// module and the kit share one instance (one kinds registry, one loaded-module list).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { runChild, sendToParent } from "./child-main.ts";
import type { ScenarioCommandOptions } from "./scenario-command.ts";

interface Kit {
  runScenarioFiles(options: ScenarioCommandOptions): Promise<number>;
}

/** The report goes to the parent over IPC, so the module's own logs (this process's stdout) never mix into it. */
async function main([bundle, ...files]: string[]): Promise<number> {
  if (!bundle || files.length === 0) throw new Error("usage: scenario-child <bundle> <scenario file>...");
  const kitEntry = createRequire(bundle).resolve("capstan/testing");
  const kit = (await import(pathToFileURL(kitEntry).href)) as Kit;
  const report: string[] = [];
  const code = await kit.runScenarioFiles({ bundle, files, write: (text) => report.push(text) });
  await sendToParent("scenario-child", { report: report.join("") });
  return code;
}

runChild("capstan test", main);
