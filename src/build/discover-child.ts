// Runs in a child process forked by `discoverModule`: loads the module's capstan, then the bundle, and
// sends back what the module registered. No runtime is installed, so `new PeprModule(...)` only
// records the module: nothing serves and no callback runs.
import { createRequire } from "node:module";
import { dirname, extname } from "node:path";
import { pathToFileURL } from "node:url";
import type { PeprModule } from "../model/index.ts";
import { describeCapability } from "./module-description.ts";

interface ModuleRegistry {
  loadedModules(): readonly PeprModule[];
}

async function main(bundlePath: string): Promise<void> {
  // The bundle imports `capstan` from its own node_modules (a module that installs capstan as "pepr"
  // gets that name too: capstan depends on itself, ADR 0010); use that very instance to read the registry.
  let capstanEntry: string;
  try {
    capstanEntry = createRequire(bundlePath).resolve("capstan");
  } catch {
    throw new Error(
      `The name "capstan" does not resolve from ${dirname(bundlePath)}: install capstan with npm as the module's ` +
        `"pepr" or "capstan" dependency (a tarball, npm:capstan@<version>, or a folder with npm install --install-links)`,
    );
  }
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
  const hooks = Boolean(module.options.beforeHook ?? module.options.afterHook);
  send({ ok: true, config: module.config, capabilities: module.capabilities.map(describeCapability), hooks });
}

function send(message: unknown): void {
  if (!process.send) throw new Error("discover-child must be started with an IPC channel");
  process.send(message, () => process.exit(0));
}

main(process.argv[2] ?? "").catch((error: unknown) => {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ ok: false, error: text });
});
