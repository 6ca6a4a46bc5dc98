import type { AdmissionRequest, AdmissionResponse } from "./admission-request.ts";
import type { Capability } from "./capability.ts";
import { enforcementNamesError } from "./enforcement.ts";
import { admissionIgnoredNamespaces, type ModuleConfig, type PackageJSON, parseModuleConfig } from "./module-config.ts";
import { ignoredNamespaceError } from "./validation.ts";

function* bindingsOf(capabilities: readonly Capability[]) {
  for (const capability of capabilities) yield* capability.bindings;
}

export interface PeprModuleOptions {
  /** Do not start serving from the constructor; call `start()` later. */
  deferStart?: boolean;
  /** Runs before each admission request is processed. */
  beforeHook?: (request: AdmissionRequest) => void;
  /** Runs for each admission response. */
  afterHook?: (response: AdmissionResponse) => void;
}

/** How the capstan runtime starts a loaded module; installed by the runtime before it loads module code. */
export type ModuleStarter = (module: PeprModule, port: number) => void;

let starter: ModuleStarter | undefined;
const loaded: PeprModule[] = [];

/** Installs (or, with undefined, removes) the runtime's starter. */
export function setModuleStarter(start: ModuleStarter | undefined): void {
  starter = start;
}

/** Modules constructed in this process, oldest first. */
export function loadedModules(): readonly PeprModule[] {
  return loaded;
}

/**
 * A module: its config and capabilities (Pepr's `PeprModule`, also exported as `Module`). Constructing
 * it validates everything and, unless `deferStart`, asks the runtime (if one is loaded) to start it.
 */
export class PeprModule {
  readonly config: ModuleConfig;
  readonly capabilities: readonly Capability[];
  readonly options: PeprModuleOptions;

  constructor(pkg: PackageJSON, capabilities: Capability[] = [], options: PeprModuleOptions = {}) {
    this.config = parseModuleConfig(pkg);
    this.capabilities = capabilities;
    this.options = options;
    const ignored = admissionIgnoredNamespaces(this.config);
    const names = new Set<string>();
    for (const capability of capabilities) {
      if (names.has(capability.name))
        throw new Error(`Two capabilities are named ${capability.name}: names must be unique`);
      names.add(capability.name);
      for (const binding of capability.bindings) {
        const problem = ignoredNamespaceError(binding, ignored);
        if (problem) throw new Error(problem);
      }
    }
    const unknownRule = enforcementNamesError(this.config, bindingsOf(capabilities));
    if (unknownRule) throw new Error(unknownRule);
    loaded.push(this);
    if (!options.deferStart) starter?.(this, 3000);
  }

  /** Starts serving (only needed with `deferStart`). */
  start(port = 3000): void {
    if (!starter) {
      throw new Error(
        "No capstan runtime is loaded to start this module: run it with `capstan dev` or the capstan image",
      );
    }
    starter(this, port);
  }
}

export { PeprModule as Module };
