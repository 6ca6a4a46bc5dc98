import { fork } from "node:child_process";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleModule, defaultEntry } from "../build/index.ts";
import { findScenarioFiles } from "./scenario-file.ts";

export interface TestModuleOptions {
  readonly moduleDir: string;
  /** Default: capstan.ts, else pepr.ts. */
  readonly entry?: string;
  /** A scenario file or a folder of them. Default: the module folder. */
  readonly path?: string;
}

/**
 * `capstan test`: bundles the module as `capstan dev` does, then runs the scenarios in a child
 * process that loads the kit from the module's own capstan. The report goes to stdout (the
 * module's logs to stderr); resolves
 * with the exit code (0 all passed, 1 a scenario failed, 2 the run could not start).
 */
export async function testModule(options: TestModuleOptions): Promise<number> {
  const moduleDir = resolve(options.moduleDir);
  const files = findScenarioFiles(resolve(moduleDir, options.path ?? "."));
  const bundle = await bundleModule({
    moduleDir,
    entry: options.entry ?? defaultEntry(moduleDir),
    outDir: join(".capstan", "test"),
    minify: false,
  });
  const here = import.meta.url;
  const child = fileURLToPath(new URL(`./scenario-child${extname(fileURLToPath(here))}`, here));
  return new Promise((resolveCode, reject) => {
    // The module's logs (its stdout) go to stderr; the report comes over IPC and goes to stdout.
    const process_ = fork(child, [bundle.outFile, ...files], {
      cwd: moduleDir,
      env: { ...process.env, CAPSTAN_MODE: "test", LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
      stdio: ["ignore", 2, 2, "ipc"],
      execArgv: ["--enable-source-maps"],
    });
    process_.on("message", (message: { report?: string }) => {
      if (typeof message.report === "string") process.stdout.write(message.report);
    });
    process_.once("error", reject);
    process_.once("close", (code, signal) => resolveCode(code ?? (signal ? 2 : 0)));
  });
}
