// `pepr/src/lib/types`: the authoring types Pepr modules name in their own signatures.

export type { AdmissionRequest, ValidateActionResponse } from "../model/admission-request.ts";
export type {
  Binding,
  FinalizeAction,
  MutateAction,
  ValidateAction,
  WatchLogAction,
} from "../model/binding.ts";
export type { CapabilityCfg } from "../model/capability.ts";
export { Event, Operation } from "../model/events.ts";
export type { PeprModuleOptions } from "../model/module.ts";
export type { ModuleConfig, PackageJSON } from "../model/module-config.ts";
export type { DeepPartial } from "../model/mutate-request.ts";

/** Namespaces a webhook or watch always skips. */
export interface WebhookIgnore {
  namespaces?: string[];
}
