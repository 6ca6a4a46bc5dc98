import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { Log, type Logger, registry } from "../telemetry/index.ts";
import { readBody } from "./body.ts";
import type { AdmissionEngine } from "./engine.ts";
import { sendJson, sendStatus, sendText } from "./http-reply.ts";
import { labelResponse, type ObjectLabeller } from "./label-webhook.ts";
import { peprAlerts, peprErrors, refusedRequests, type WebhookKind } from "./metrics.ts";
import { admissionReviewJson, readAdmissionReview } from "./review.ts";
import { LABEL_ROUTE } from "./webhook-config.ts";

export interface AdmissionServerOptions {
  readonly engine: AdmissionEngine;
  /** PEM serving certificate and key. */
  readonly tls: { readonly cert: string; readonly key: string };
  /** The secret path segment: routes are `/mutate/<apiPath>` and `/validate/<apiPath>`. */
  readonly apiPath: string;
  /** Further path segments accepted too (a takeover's previous path, e.g. Pepr's). */
  readonly alsoAcceptedApiPaths?: readonly string[];
  /** Default 3000; 0 picks a free port. */
  readonly port?: number;
  /** Default 0.0.0.0 (all interfaces). */
  readonly host?: string;
  /** Largest accepted body. Default 4 MiB: an UPDATE carries two objects of up to ~1.5 MiB each. */
  readonly maxBodyBytes?: number;
  readonly logger?: Logger;
  /** Extra readiness condition for /readyz; must answer at once (never waits on the Store). */
  readonly isReady?: () => boolean;
  /** The labels `/label/<apiPath>` adds (controller.shards); without one that route admits unchanged. */
  readonly labeller?: ObjectLabeller;
}

export interface AdmissionServer {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting, fails /readyz, lets in-flight requests finish (up to `graceMs`, default 10 s), then closes. */
  close(graceMs?: number): Promise<void>;
}

/** The API server keeps idle webhook connections for 90 s: stay open longer so it always closes first. */
export const KEEP_ALIVE_TIMEOUT_MS = 100_000;
export const HEADERS_TIMEOUT_MS = 32_000;
/** Longer than the largest webhook timeout (30 s). */
export const REQUEST_TIMEOUT_MS = 40_000;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

// A path segment short enough to fit whole (3 bytes a character at most) is copied here to be
// compared: no buffer is allocated per request.
const scratch = Buffer.alloc(1024);

function secretMatches(given: string, expected: Buffer): boolean {
  const candidate = given.length * 3 <= scratch.length ? scratch.subarray(0, scratch.write(given)) : Buffer.from(given);
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

/** Starts the HTTPS webhook server: admission routes behind the secret path, plus /healthz, /readyz, /metrics. */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const { engine } = options;
  const logger = options.logger ?? Log;
  const secrets = [options.apiPath, ...(options.alsoAcceptedApiPaths ?? [])].map((path) => Buffer.from(path));
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const refuse = (
    res: ServerResponse,
    code: number,
    reason: string,
    message: string,
    headers?: Record<string, string>,
  ) => {
    refusedRequests.inc({ reason });
    logger.warn({ reason, code }, `refused webhook request: ${message}`);
    sendStatus(res, code, message, { ...headers, ...(draining ? { connection: "close" } : {}) });
  };

  const admit = async (
    webhook: WebhookKind | typeof LABEL_ROUTE,
    req: IncomingMessage,
    res: ServerResponse,
    receivedAt: number,
  ) => {
    if (req.method !== "POST") {
      req.resume();
      return refuse(res, 405, "method", `${req.method} is not allowed on the ${webhook} webhook: send POST`, {
        allow: "POST",
      });
    }
    const type = req.headers["content-type"];
    if (type !== undefined && !type.includes("json")) {
      req.resume();
      return refuse(res, 415, "content-type", `content-type must be application/json (got ${type})`);
    }
    const read = await readBody(req, maxBody);
    if (!read.ok) {
      return refuse(res, 413, "too-large", `body exceeds the ${maxBody}-byte limit`, { connection: "close" });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.body.toString("utf8"));
    } catch (error) {
      return refuse(res, 400, "json", `body is not valid JSON: ${(error as Error).message}`);
    }
    const review = readAdmissionReview(parsed);
    if (!review.ok) return refuse(res, 400, "review", `not a valid AdmissionReview: ${review.message}`);
    if (webhook === LABEL_ROUTE) {
      const labelled = labelResponse(review.request, options.labeller, logger);
      return sendJson(
        res,
        200,
        admissionReviewJson(review.apiVersion, labelled),
        draining ? { connection: "close" } : {},
      );
    }
    try {
      const response = await engine.review(webhook, review.request, receivedAt);
      sendJson(res, 200, admissionReviewJson(review.apiVersion, response), draining ? { connection: "close" } : {});
    } catch (error) {
      peprErrors.inc();
      logger.error({ err: error, requestId: review.request.uid }, `${webhook} failed inside capstan`);
      sendStatus(res, 500, `capstan could not decide the request: ${(error as Error).message}`);
    }
  };

  const probe = async (path: string, res: ServerResponse) => {
    if (path === "/healthz") return sendText(res, 200, "ok");
    if (path === "/readyz") {
      const ready = !draining && (options.isReady?.() ?? true);
      return sendText(res, ready ? 200 : 503, ready ? "ok" : draining ? "draining" : "not ready");
    }
    return sendText(res, 200, await registry.metrics(), registry.contentType);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = performance.now();
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    if (path === "/healthz" || path === "/readyz" || path === "/metrics") {
      req.resume();
      if (req.method !== "GET" && req.method !== "HEAD")
        return refuse(res, 405, "method", "probes take GET", { allow: "GET" });
      return probe(path, res);
    }
    const [, route, given, ...rest] = path.split("/");
    if ((route === "mutate" || route === "validate" || route === LABEL_ROUTE) && rest.length === 0) {
      if (!secrets.some((secret) => secretMatches(given ?? "", secret))) {
        req.resume();
        peprAlerts.inc();
        return refuse(res, 401, "path", `unknown ${route} path: the path segment must be the module's API path secret`);
      }
      return admit(route, req, res, receivedAt);
    }
    req.resume();
    return refuse(
      res,
      404,
      "route",
      "no such route: use /mutate/<api path>, /validate/<api path>, /label/<api path>, /healthz, /readyz or /metrics",
    );
  };

  // Shared by every request rather than made per request: this path runs thousands of times a second.
  const finished = () => {
    inFlight--;
    if (inFlight === 0) idle?.();
  };
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      await handle(req, res);
    } catch (error) {
      logger.error({ err: error }, "webhook server failed to answer");
      if (!res.headersSent) sendStatus(res, 500, "internal error");
      else res.destroy();
    }
  };
  const server = createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    inFlight++;
    res.on("close", finished);
    void answer(req, res);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on("clientError", (error, socket) => {
    logger.debug({ err: error }, "webhook client connection error");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 3000, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, "admission webhook server listening");

  return {
    server,
    port,
    async close(graceMs = 10_000) {
      if (draining) return;
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await closed;
      logger.info("admission webhook server closed");
    },
  };
}
