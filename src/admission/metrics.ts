import { Counter, Histogram, Summary } from "prom-client";
import { registry } from "../telemetry/index.ts";

// Admission metrics. Label values come from the module's own definitions (capability and binding
// names), never from request content, so cardinality stays bounded.

export type WebhookKind = "mutate" | "validate";

/** Per-binding outcome: succeeded (mutate ran), allowed, denied, error (threw), timeout (abandoned). */
export const bindingDecisions = new Counter({
  name: "capstan_admission_binding_decisions_total",
  help: "Admission callbacks run, by capability, binding, operation and result",
  labelNames: ["capability", "binding", "operation", "result"] as const,
  registers: [registry],
});

/** Denials a Validate binding in `warn` or `audit` mode turned into admissions (module config `enforcement`). */
export const unenforcedDenials = new Counter({
  name: "capstan_admission_unenforced_denials_total",
  help: "Requests a Validate binding would deny but admitted because its enforcement mode is warn or audit",
  labelNames: ["capability", "binding", "mode"] as const,
  registers: [registry],
});

/** Per-request outcome: allowed, denied, or skipped (no binding matched). */
export const requestDecisions = new Counter({
  name: "capstan_admission_requests_total",
  help: "Admission requests answered, by webhook, operation and result",
  labelNames: ["webhook", "operation", "result"] as const,
  registers: [registry],
});

export const requestDuration = new Histogram({
  name: "capstan_admission_request_duration_seconds",
  help: "Time from receiving an admission request to sending its answer",
  labelNames: ["webhook"] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** Requests refused before reaching a pipeline (bad path, method, body). */
export const refusedRequests = new Counter({
  name: "capstan_admission_refused_requests_total",
  help: "HTTP requests to the webhook server refused as malformed or unauthorised, by reason",
  labelNames: ["reason"] as const,
  registers: [registry],
});

// Pepr's metric names (pepr-api §5), kept so dashboards and alerts written for Pepr keep working.
// Unlike Pepr, the timeout counters count callbacks actually abandoned at the deadline.

export const peprMutate = new Summary({
  name: "pepr_mutate",
  help: "Mutation operation summary (milliseconds; Pepr's name)",
  registers: [registry],
});
export const peprValidate = new Summary({
  name: "pepr_validate",
  help: "Validation operation summary (milliseconds; Pepr's name)",
  registers: [registry],
});
export const peprErrors = new Counter({
  name: "pepr_errors",
  help: "Admission requests capstan failed to decide (HTTP 500; Pepr's name)",
  registers: [registry],
});
export const peprAlerts = new Counter({
  name: "pepr_alerts",
  help: "Requests with a wrong webhook path secret (HTTP 401; Pepr's name)",
  registers: [registry],
});
export const peprMutateTimeouts = new Counter({
  name: "pepr_mutate_timeouts",
  help: "Mutate callbacks abandoned at the deadline (Pepr's name)",
  registers: [registry],
});
export const peprValidateTimeouts = new Counter({
  name: "pepr_validate_timeouts",
  help: "Validate callbacks abandoned at the deadline (Pepr's name)",
  registers: [registry],
});
