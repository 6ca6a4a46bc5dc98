import type { Capability, PeprModuleOptions } from "../model/index.ts";
import { enforcementNamesError, flavorOf, type ModuleConfig, parseModuleConfig } from "../model/index.ts";

/** What the kit tests: a `PeprModule`, or anything shaped like one. */
export interface ModuleUnderTest {
  readonly config: ModuleConfig;
  readonly capabilities: readonly Capability[];
  readonly options?: PeprModuleOptions;
}

/** A module, one capability, or a list of capabilities (tested under a default module config). */
export type TestTarget = ModuleUnderTest | Capability | readonly Capability[];

/** The config capabilities tested without their module get: `onError: reject`, so a failing callback shows. */
export const TEST_MODULE_CONFIG: Readonly<Partial<ModuleConfig>> = { uuid: "capstan-test", onError: "reject" };

function isModule(target: TestTarget): target is ModuleUnderTest {
  return !Array.isArray(target) && "config" in target && "capabilities" in target;
}

/** Normalises what a test hands the kit; `config` overrides fields of a bare capability's module config. */
export function moduleUnderTest(target: TestTarget, config: Partial<ModuleConfig> = {}): ModuleUnderTest {
  if (isModule(target)) {
    const key = config.flavor ?? flavorOf(target.config);
    return Object.keys(config).length === 0
      ? target
      : checked({ ...target, config: parseModuleConfig({ [key]: { ...target.config, ...config } }) });
  }
  const capabilities = Array.isArray(target) ? [...(target as readonly Capability[])] : [target as Capability];
  // A bare capability runs under capstan's names unless the test asks for `flavor: "pepr"`.
  const key = config.flavor ?? "capstan";
  return checked({ config: parseModuleConfig({ [key]: { ...TEST_MODULE_CONFIG, ...config } }), capabilities });
}

/** What `PeprModule` checks across config and bindings: `enforcement` names only existing Validate rules. */
function checked(module: ModuleUnderTest): ModuleUnderTest {
  const problem = enforcementNamesError(
    module.config,
    module.capabilities.flatMap((capability) => capability.bindings),
  );
  if (problem) throw new Error(problem);
  return module;
}
