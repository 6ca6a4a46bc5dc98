import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetch, fetchStatus } from "../../../src/fluent/index.ts";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/json") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"hello":"world"}');
    } else if (req.url === "/bad-json") {
      res.writeHead(200, { "content-type": "application/json" }).end("{not json");
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("nope");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("fetch", () => {
  it("parses JSON answers", async () => {
    const response = await fetch<{ hello: string }>(`${base}/json`);
    expect(response).toMatchObject({ ok: true, status: fetchStatus.OK, data: { hello: "world" } });
  });

  it("returns text and the status of a failed answer without throwing", async () => {
    const response = await fetch(`${base}/missing`);
    expect(response).toMatchObject({ ok: false, status: fetchStatus.NOT_FOUND, data: "nope" });
  });

  it("reports unparseable JSON and unreachable servers in e, without throwing", async () => {
    const bad = await fetch(`${base}/bad-json`);
    expect(bad.ok).toBe(false);
    expect(bad.e).toBeInstanceOf(SyntaxError);
    const unreachable = await fetch("http://127.0.0.1:1/");
    expect(unreachable).toMatchObject({ ok: false, status: 0 });
    expect(unreachable.e).toBeInstanceOf(Error);
  });
});
