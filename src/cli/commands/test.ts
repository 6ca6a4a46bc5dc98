import { Command } from "commander";
import { testModule } from "../../testing/test-module.ts";

interface TestFlags {
  entryPoint?: string;
}

export function testCommand(): Command {
  return new Command("test")
    .description("run *.scenarios.yaml files (admission requests and controller steps) against the module, offline")
    .argument("[path]", "a scenario file or a folder searched for *.scenarios.yaml", ".")
    .option("-e, --entry-point <file>", "module entry (default: capstan.ts, else pepr.ts)")
    .action(async (path: string, flags: TestFlags) => {
      const code = await testModule({
        moduleDir: process.cwd(),
        path,
        ...(flags.entryPoint ? { entry: flags.entryPoint } : {}),
      });
      process.exitCode = code;
    });
}
