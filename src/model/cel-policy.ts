// `ValidateCEL`: checks the API server evaluates itself, compiled to a ValidatingAdmissionPolicy and
// its binding. The binding records plain data only; no webhook and no callback is involved.

/** The reasons a validation may give (the v1.36 API refuses "Unauthorized" in a policy). */
export type CelReason = "Forbidden" | "Invalid" | "RequestEntityTooLarge";
export const celReasons: readonly CelReason[] = ["Forbidden", "Invalid", "RequestEntityTooLarge"];

/** One check (`spec.validations[]` of a ValidatingAdmissionPolicy). */
export interface CelValidation {
  /** CEL over `object`, `oldObject`, `request`, `namespaceObject`: true admits. */
  readonly expression: string;
  readonly message?: string;
  /** CEL returning the message (falls back to `message` when it fails or is empty). */
  readonly messageExpression?: string;
  /** The denial's reason (default Invalid: HTTP 422). */
  readonly reason?: CelReason;
}

/** What a failed validation does: reject, warn the client, or record an audit annotation. */
export type CelAction = "Deny" | "Warn" | "Audit";

/** What a `ValidateCEL` binding records. */
export interface CelPolicy {
  readonly validations: readonly CelValidation[];
  readonly actions: readonly CelAction[];
  /** Where `ValidateCEL` was called (`file:line:column`, when the stack tells), for build errors. */
  readonly source?: string;
}

export interface ValidateCelOptions {
  /** Default `["Deny"]`. Kubernetes refuses Deny with Warn (the failure would be reported twice). */
  readonly actions?: readonly CelAction[];
}

const ACTIONS: readonly CelAction[] = ["Deny", "Warn", "Audit"];

/** What is wrong with a `ValidateCEL` call's arguments ("" = nothing). */
export function celPolicyError(policy: CelPolicy): string {
  if (policy.validations.length === 0) return "ValidateCEL needs at least one validation";
  for (const [index, validation] of policy.validations.entries()) {
    const at = `validation ${index}`;
    if (typeof validation?.expression !== "string" || validation.expression.trim() === "") {
      return `${at}: expression must be a non-empty CEL string`;
    }
    if (validation.message !== undefined && /[\r\n]/.test(validation.message)) {
      return `${at}: message must be one line (Kubernetes refuses line breaks)`;
    }
    if (validation.reason !== undefined && !celReasons.includes(validation.reason)) {
      return `${at}: reason "${validation.reason}" is not one of ${celReasons.join(", ")}`;
    }
  }
  const { actions } = policy;
  if (actions.length === 0) return `actions must name at least one of ${ACTIONS.join(", ")}`;
  const unknown = actions.find((action) => !ACTIONS.includes(action));
  if (unknown !== undefined) return `action "${unknown}" is not one of ${ACTIONS.join(", ")}`;
  if (new Set(actions).size !== actions.length) return `actions [${actions.join(", ")}] repeat an action`;
  if (actions.includes("Deny") && actions.includes("Warn")) {
    return 'actions cannot hold both Deny and Warn (Kubernetes refuses it); use ["Deny"] or ["Warn"], each with "Audit" if wanted';
  }
  return "";
}

/** The `file:line:column` of the caller `depth` frames above the function that asks ("" when unknown). */
export function callSite(depth: number): string {
  const frame = new Error().stack?.split("\n")[depth + 1] ?? "";
  const match = /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/.exec(frame);
  return match?.[1]?.replace(/^file:\/\//, "") ?? "";
}
