import { ApiError, ConflictError, ConnectionError, NotFoundError } from "../k8s/index.ts";

/**
 * What to do about a failed store request: try again later, find or create the missing shard,
 * split the shard that has grown too large, or give up and tell the writer.
 */
export type FailureAction = "retry" | "missing" | "full" | "reject";

/** etcd refuses objects over its request limit with a 500 that no retry can fix. */
function tooLarge(error: ApiError): boolean {
  return error.status === 413 || /request is too large|too large/i.test(error.message);
}

export function classifyFailure(error: unknown): FailureAction {
  if (error instanceof NotFoundError) return "missing";
  if (error instanceof ApiError) {
    if (tooLarge(error)) return "full";
    if (error instanceof ConflictError || error.status === 429 || error.status >= 500) return "retry";
    return "reject";
  }
  if (error instanceof ConnectionError) return "retry";
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "retry";
  return "reject";
}

/** A short reason for logs and metrics that never carries a Store value (servers echo rejected values in messages). */
export function failureReason(error: unknown): string {
  if (error instanceof ApiError) return `${error.status} ${error.reason}`;
  if (error instanceof Error) return error.name;
  return "unknown";
}

/** The server's message for a rejected write, with the written value cut out. */
export function redactedMessage(error: unknown, value: string | null): string {
  const message = error instanceof Error ? error.message : String(error);
  if (value === null || value.length < 4) return message;
  return message.replaceAll(value, "**redacted**");
}

/** Rejects a `setItemAndWait`/`removeItemAndWait`/`update` whose write the API server refused for good. */
export class StoreWriteError extends Error {
  readonly key: string;
  constructor(key: string, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "StoreWriteError";
    this.key = key;
  }
}
