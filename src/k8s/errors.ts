/** The `Status` object the API server returns with a failed request. */
export interface ApiStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
    readonly retryAfterSeconds?: number;
  };
}

/** A request the API server answered with a non-2xx status. */
export class ApiError extends Error {
  readonly status: number;
  /** Machine-readable reason from the server's Status, such as `NotFound`, `AlreadyExists`, `Conflict`, `Expired`. */
  readonly reason: string;
  readonly method: string;
  readonly path: string;
  readonly details: ApiStatus["details"];
  /** From the Retry-After header or the Status details, for 429 and some 5xx answers. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: { status: number; method: string; path: string; body: ApiStatus; retryAfterSeconds?: number }) {
    const serverMessage = init.body.message ?? `HTTP ${init.status}`;
    super(
      `${init.method} ${init.path} failed with ${init.status} ${init.body.reason ?? ""}: ${serverMessage}`.replace(
        "  ",
        " ",
      ),
    );
    this.name = new.target.name;
    this.status = init.status;
    this.reason = init.body.reason ?? reasonForStatus(init.status);
    this.method = init.method;
    this.path = init.path;
    this.details = init.body.details;
    this.retryAfterSeconds = init.retryAfterSeconds ?? init.body.details?.retryAfterSeconds;
  }
}

/** 409: a create of an existing object, a resourceVersion precondition that failed, or a server-side apply conflict. */
export class ConflictError extends ApiError {}
/** 404 */
export class NotFoundError extends ApiError {}
/** 410: the requested resourceVersion is too old; list again. */
export class GoneError extends ApiError {}
/** 422: the object failed validation; `details.causes` names the fields. */
export class InvalidError extends ApiError {}
/** 429: the server asks the client to slow down; see `retryAfterSeconds`. */
export class TooManyRequestsError extends ApiError {}

export function apiErrorFor(init: ConstructorParameters<typeof ApiError>[0]): ApiError {
  switch (init.status) {
    case 404:
      return new NotFoundError(init);
    case 409:
      return new ConflictError(init);
    case 410:
      return new GoneError(init);
    case 422:
      return new InvalidError(init);
    case 429:
      return new TooManyRequestsError(init);
    default:
      return new ApiError(init);
  }
}

/** True for answers worth retrying with backoff: 429, 5xx, and connection failures that never got an answer. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 429 || error.status >= 500;
  return error instanceof ConnectionError;
}

/** The API server could not be reached, or the connection broke before an answer arrived. */
export class ConnectionError extends Error {
  constructor(server: string, cause: unknown) {
    super(
      `cannot reach the Kubernetes API server at ${server}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = "ConnectionError";
  }
}

function reasonForStatus(status: number): string {
  const reasons: Record<number, string> = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
  };
  return reasons[status] ?? "Unknown";
}
