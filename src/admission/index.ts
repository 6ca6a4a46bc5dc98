export { AdmissionEngine } from "./engine.ts";
export { applyPatch, diffJson, type PatchOperation } from "./json-patch.ts";
export type { WebhookKind } from "./metrics.ts";
export { type AdmissionRecord, RECORD_ENV, RECORD_MESSAGE, REDACTED } from "./recording.ts";
export { deleteWebhookConfigurations } from "./registration.ts";
export { type LabelSelector, type WebhookConfigurations, webhookConfigurations } from "./webhook-config.ts";
