// `pepr/src/lib/types`: the authoring types Pepr modules name in their own signatures.

export type {
  AdmissionRequest,
  Binding,
  CapabilityCfg,
  DeepPartial,
  FinalizeAction,
  ModuleConfig,
  MutateAction,
  PackageJSON,
  PeprModuleOptions,
  ValidateAction,
  ValidateActionResponse,
  WatchLogAction,
} from "../model/index.ts";
export { Event, Operation } from "../model/index.ts";

/** Namespaces a webhook or watch always skips. */
export interface WebhookIgnore {
  namespaces?: string[];
}
