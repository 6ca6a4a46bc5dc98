import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const fixtureModule = fileURLToPath(new URL("./fixtures/scenario-module/", import.meta.url));

/**
 * A copy of the fixture module in a temp folder whose `node_modules/capstan` is this checkout's
 * sources (linked), so the module's `import "capstan"` and the kit are one instance, as they are
 * for an author who installed capstan.
 */
export function scratchModule(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "capstan-test-kit-")), "module");
  cpSync(fixtureModule, dir, { recursive: true });
  const capstan = join(dir, "node_modules", "capstan");
  mkdirSync(capstan, { recursive: true });
  symlinkSync(join(repoRoot, "src"), join(capstan, "src"));
  writeFileSync(
    join(capstan, "package.json"),
    JSON.stringify({
      name: "capstan",
      type: "module",
      exports: { ".": "./src/index.ts", "./testing": "./src/testing/index.ts" },
    }),
  );
  return dir;
}
