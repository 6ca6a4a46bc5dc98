import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { registry } from "../telemetry/index.ts";
import type { HealthReport } from "./health.ts";

export interface HealthEndpoints {
  readiness(): HealthReport;
  liveness(): HealthReport;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The controller role's plain-HTTP server: `/healthz` (liveness), `/readyz` (readiness), both 200
 * or 503 with one line per check (`?verbose` is implied), and `/metrics` in Prometheus text format.
 */
export async function serveHealth(
  endpoints: HealthEndpoints,
  options: { port: number; host?: string },
): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const check = path === "/healthz" ? endpoints.liveness : path === "/readyz" ? endpoints.readiness : undefined;
    if (check) {
      let result: HealthReport;
      try {
        result = check();
      } catch (error) {
        result = { ok: false, checks: [{ name: "health check", ok: false, detail: String(error) }] };
      }
      const body = result.checks.map((c) => `[${c.ok ? "+" : "-"}] ${c.name}: ${c.detail}`).join("\n");
      response.writeHead(result.ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8" });
      response.end(`${body}\n${result.ok ? "ok" : "failed"}\n`);
      return;
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { "content-type": "text/plain" });
          response.end(String(error));
        },
      );
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
