// Runs in a child process forked by `discoverModule`: loads the module's capstan, then the bundle, and
// sends back what the module registered. No runtime is installed, so `new PeprModule(...)` only
// records the module: nothing serves and no callback runs.
import { createRequire } from "node:module";
import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import type { PeprModule } from "../model/module.ts";
import { describeCapability } from "./module-description.ts";

interface ModuleRegistry {
  loadedModules(): readonly PeprModule[];
}

async function main(bundlePath: string): Promise<void> {
  // The bundle imports `capstan` from its own node_modules; use that very instance to read the registry.
  const capstanEntry = createRequire(bundlePath).resolve("capstan");
  const registryUrl = new URL(`./model/module${extname(capstanEntry)}`, pathToFileURL(capstanEntry));
  const registry = (await import(registryUrl.href)) as ModuleRegistry;
  await import(pathToFileURL(bundlePath).href);
  const modules = registry.loadedModules();
  if (modules.length !== 1) {
    throw new Error(
      `The entry must construct exactly one PeprModule (new PeprModule(pkg, [capabilities])); it constructed ${modules.length}`,
    );
  }
  const module = modules[0] as PeprModule;
  send({ ok: true, config: module.config, capabilities: module.capabilities.map(describeCapability) });
}

function send(message: unknown): void {
  if (!process.send) throw new Error("discover-child must be started with an IPC channel");
  process.send(message, () => process.exit(0));
}

main(process.argv[2] ?? "").catch((error: unknown) => {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ ok: false, error: text });
});
