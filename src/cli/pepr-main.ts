import { readFileSync } from "node:fs";
import { join } from "node:path";
import { capstanVersion, main } from "./main.ts";
import { type PeprModuleSettings, translatePeprArgs } from "./pepr-cli.ts";

function moduleSettings(dir: string): PeprModuleSettings {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { pepr?: { rbacMode?: unknown } };
    const rbacMode = pkg.pepr?.rbacMode;
    return typeof rbacMode === "string" ? { rbacMode } : {};
  } catch {
    return {};
  }
}

/** The `pepr` executable: runs Pepr's command line as capstan commands; returns the exit code. */
export async function peprMain(argv: readonly string[]): Promise<number> {
  const translation = translatePeprArgs(argv.slice(2), moduleSettings(process.cwd()));
  switch (translation.kind) {
    case "version":
      process.stdout.write(`${capstanVersion()}\n`);
      return 0;
    case "help":
      process.stdout.write(translation.text);
      return 0;
    case "error":
      process.stderr.write(`pepr: ${translation.message}\n`);
      return 1;
    case "run":
      for (const step of translation.steps) {
        const code = await main([argv[0] ?? "node", "capstan", ...step]);
        if (code !== 0) return code;
      }
      return 0;
  }
}
