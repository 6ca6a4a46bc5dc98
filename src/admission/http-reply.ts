import type { ServerResponse } from "node:http";

/** Sends a JSON body with the right headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  extraHeaders: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

/** A Kubernetes-style Status body for a refused request, so clients see why. */
export function sendStatus(
  res: ServerResponse,
  code: number,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  sendJson(
    res,
    code,
    JSON.stringify({ apiVersion: "v1", kind: "Status", status: "Failure", code, message }),
    extraHeaders,
  );
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = "text/plain"): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}
