export {
  CEL_MUTATION_API_MISSING,
  CEL_POLICY_API_MISSING,
  type CelPolicyObjects,
  type CelPolicyOptions,
  celPolicies,
  celPolicyName,
} from "./cel-policies.ts";
export { applyCelPolicies, deleteCelPolicies } from "./cel-registration.ts";
export { errorMessage, type Outcome, runWithDeadline } from "./deadline.ts";
export type { AdmissionModule } from "./engine.ts";
export { AdmissionEngine } from "./engine.ts";
export { applyPatch, diffJson, type PatchOperation } from "./json-patch.ts";
export { labelResponse, type ObjectLabeller } from "./label-webhook.ts";
export type { WebhookKind } from "./metrics.ts";
export {
  type AdmissionRecord,
  isAdmissionRecordLine,
  RECORD_ENV,
  RECORD_MESSAGE,
  REDACTED,
  recordingRequested,
} from "./recording.ts";
export { applyWebhookConfigurations, deleteWebhookConfigurations } from "./registration.ts";
export { decodeSecretData, encodeSecretData, isSecretKind, undecodableKeys } from "./secret-data.ts";
export { type AdmissionServer, startAdmissionServer } from "./server.ts";
export type { WebhookEndpoint } from "./webhook-config.ts";
export {
  LABEL_ROUTE,
  type LabelSelector,
  labelsShards,
  type WebhookConfigurations,
  webhookConfigurations,
} from "./webhook-config.ts";
