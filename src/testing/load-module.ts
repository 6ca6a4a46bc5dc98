import { pathToFileURL } from "node:url";
import { loadedModules, type PeprModule } from "../model/index.ts";

/**
 * Imports a bundled module (built against this very capstan, so it registers here) and returns
 * the one `PeprModule` it constructed. No runtime starter is installed: nothing serves.
 */
export async function importModule(bundlePath: string): Promise<PeprModule> {
  const before = loadedModules().length;
  await import(pathToFileURL(bundlePath).href);
  const constructed = loadedModules().slice(before);
  if (constructed.length !== 1) {
    throw new Error(
      `${bundlePath} must construct exactly one PeprModule (new PeprModule(pkg, [capabilities])); it constructed ${constructed.length}. Is capstan installed once, in the module's node_modules?`,
    );
  }
  return constructed[0] as PeprModule;
}
