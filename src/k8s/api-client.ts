import type { Readable } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import { clientSpan, endClientSpan } from "../telemetry/index.ts";
import { type Connection, type ConnectionOptions, loadConnection } from "./connection.ts";
import { type ApiError, type ApiStatus, apiErrorFor, ConnectionError } from "./errors.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiRequest {
  readonly method?: HttpMethod;
  /** An absolute API path such as `/api/v1/namespaces/default/configmaps`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON unless it is already a string. */
  readonly body?: unknown;
  /** Default `application/json`. */
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** A successful answer's body is read and dropped, not parsed: `request` resolves to undefined. */
  readonly discardBody?: boolean;
}

export interface ApiStream {
  readonly status: number;
  readonly body: Readable;
}

export interface ApiClientOptions {
  /** Fail a request whose headers have not arrived in this time. Default 30 s. */
  readonly headersTimeoutMs?: number;
  /** Fail a non-streaming request whose body stalls for this long. Default 60 s. */
  readonly bodyTimeoutMs?: number;
  readonly connections?: number;
  /**
   * Negotiate HTTP/2 when the server offers it. Default false: a half-open HTTP/2 connection stalls
   * every request on it until a PING fails (60-120 s), where HTTP/1.1 loses one request.
   */
  readonly http2?: boolean;
  /**
   * Act as this user with the connection's own credentials (the Impersonate-User and
   * Impersonate-Group headers): `capstan dev` runs a module as its generated ServiceAccount.
   */
  readonly impersonate?: { readonly user: string; readonly groups?: readonly string[] };
  /** Sees every error answer before it is thrown (the request as sent), e.g. to explain a 403. */
  readonly onApiError?: (error: ApiError, request: ApiRequest) => void;
}

/**
 * The HTTP layer every other part of capstan uses to talk to the API server: TLS and auth from the
 * connection, JSON in and out, and typed errors (`ApiError` and subclasses) carrying the status,
 * reason and the server's own message.
 */
export class ApiClient {
  readonly connection: Connection;
  readonly #dispatcher: Dispatcher;
  readonly #bodyTimeoutMs: number;
  readonly #options: ApiClientOptions;
  readonly #derived: ApiClient[] = [];

  constructor(connection: Connection, options: ApiClientOptions = {}) {
    this.connection = connection;
    this.#options = options;
    this.#bodyTimeoutMs = options.bodyTimeoutMs ?? 60_000;
    this.#dispatcher = new Agent({
      connect: { ...connection.tls },
      connections: options.connections ?? 64,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      allowH2: options.http2 ?? false,
    });
  }

  static async fromKubeconfig(options: ConnectionOptions & ApiClientOptions = {}): Promise<ApiClient> {
    return new ApiClient(await loadConnection(options), options);
  }

  /** Sends a request and parses the JSON answer; throws `ApiError` for non-2xx and `ConnectionError` when unreachable. */
  async request<T>(request: ApiRequest): Promise<T> {
    const method = request.method ?? "GET";
    // A span only inside a traced callback; the path carries no query (label selectors, tokens).
    const span = clientSpan(`k8s ${method}`, { "http.request.method": method, "url.path": request.path });
    let status: number | undefined;
    try {
      const response = await this.#send(request, this.#bodyTimeoutMs);
      status = response.statusCode;
      if (request.discardBody && response.statusCode < 300) {
        await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        if (span) endClientSpan(span, status);
        return undefined as T;
      }
      const text = await response.body.text();
      if (response.statusCode >= 300) throw this.#error(request, response.statusCode, text, response.headers);
      if (span) endClientSpan(span, status);
      if (text === "") return undefined as T;
      return ((request.accept ?? "application/json").includes("json") ? JSON.parse(text) : text) as T;
    } catch (error) {
      if (span) endClientSpan(span, status, error);
      throw error;
    }
  }

  /** Opens a streaming request (watch, logs). The body has no idle timeout: the caller owns liveness. */
  async stream(request: ApiRequest): Promise<ApiStream> {
    const response = await this.#send(request, 0);
    if (response.statusCode >= 300) {
      const text = await response.body.text();
      throw this.#error(request, response.statusCode, text, response.headers);
    }
    return { status: response.statusCode, body: response.body };
  }

  /** The full URL of an API path, keeping any path prefix the server URL has (API proxies). */
  url(path: string, query?: ApiRequest["query"]): string {
    return `${new URL(this.connection.server).origin}${this.#pathWithQuery(path, query)}`;
  }

  #pathWithQuery(path: string, query?: ApiRequest["query"]): string {
    const prefix = new URL(this.connection.server).pathname.replace(/\/+$/, "");
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    return `${prefix}${path}${search ? `?${search}` : ""}`;
  }

  /**
   * A client for the same server and credentials with its own connection pool and some options
   * changed (for example HTTP/1.1 for long-lived watches, one TCP connection each, so a dead
   * connection is dropped with the watch instead of stalling every stream of an HTTP/2 session).
   * It is closed with this client.
   */
  derive(options: ApiClientOptions): ApiClient {
    const derived = new ApiClient(this.connection, { ...this.#options, ...options });
    this.#derived.push(derived);
    return derived;
  }

  async close(): Promise<void> {
    await Promise.all([this.#dispatcher.close(), ...this.#derived.map((d) => d.close())]);
  }

  async #send(request: ApiRequest, bodyTimeout: number): Promise<Dispatcher.ResponseData> {
    const method = request.method ?? "GET";
    const impersonate = this.#options.impersonate;
    const headers: Record<string, string | string[]> = {
      accept: request.accept ?? "application/json",
      ...(await this.connection.headers()),
      ...(impersonate ? { "impersonate-user": impersonate.user } : {}),
      ...(impersonate?.groups?.length ? { "impersonate-group": [...impersonate.groups] } : {}),
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === "string" ? request.body : JSON.stringify(request.body);
      headers["content-type"] = request.contentType ?? "application/json";
    }
    try {
      return await this.#dispatcher.request({
        origin: new URL(this.connection.server).origin,
        path: this.#pathWithQuery(request.path, request.query),
        method,
        headers,
        body,
        signal: request.signal,
        bodyTimeout,
      });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw new ConnectionError(this.connection.server, error);
    }
  }

  #error(request: ApiRequest, status: number, text: string, headers: Dispatcher.ResponseData["headers"]) {
    let body: ApiStatus;
    try {
      body = JSON.parse(text) as ApiStatus;
    } catch {
      body = { message: text.slice(0, 500) || undefined };
    }
    const retryAfter = Number(headers["retry-after"]);
    const error = apiErrorFor({
      status,
      method: request.method ?? "GET",
      path: request.path,
      body,
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    });
    this.#options.onApiError?.(error, request);
    return error;
  }
}
