import { describe, expect, it } from "vitest";
import {
  ApiError,
  apiErrorFor,
  ConflictError,
  ConnectionError,
  GoneError,
  InvalidError,
  isRetryable,
  NotFoundError,
  TooManyRequestsError,
} from "../../../src/k8s/errors.ts";

const make = (status: number, body = {}) => apiErrorFor({ status, method: "GET", path: "/api/v1/pods", body });

describe("API errors", () => {
  it("maps statuses to typed errors", () => {
    expect(make(404)).toBeInstanceOf(NotFoundError);
    expect(make(409)).toBeInstanceOf(ConflictError);
    expect(make(410)).toBeInstanceOf(GoneError);
    expect(make(422)).toBeInstanceOf(InvalidError);
    expect(make(429)).toBeInstanceOf(TooManyRequestsError);
    expect(make(500)).toBeInstanceOf(ApiError);
  });

  it("carries the server's reason and message, or a reason derived from the status", () => {
    const error = make(409, { reason: "AlreadyExists", message: 'configmaps "a" already exists' });
    expect(error.reason).toBe("AlreadyExists");
    expect(error.message).toContain('configmaps "a" already exists');
    expect(error.message).toContain("GET /api/v1/pods");
    expect(make(503).reason).toBe("ServiceUnavailable");
  });

  it("reads retry-after from the Status details", () => {
    expect(make(429, { details: { retryAfterSeconds: 3 } }).retryAfterSeconds).toBe(3);
  });

  it("retries only throttling, server errors and lost connections", () => {
    expect(isRetryable(make(429))).toBe(true);
    expect(isRetryable(make(503))).toBe(true);
    expect(isRetryable(make(409))).toBe(false);
    expect(isRetryable(make(422))).toBe(false);
    expect(isRetryable(new ConnectionError("https://127.0.0.1:1", new Error("ECONNREFUSED")))).toBe(true);
    expect(isRetryable(new Error("other"))).toBe(false);
  });
});
