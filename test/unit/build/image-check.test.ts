import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkImage,
  deploymentImages,
  describeImageCheck,
  parseImageReference,
} from "../../../src/build/image-check.ts";

// A registry on 127.0.0.1 speaking the distribution API's HEAD /v2/<name>/manifests/<reference>,
// with the anonymous bearer-token flow Docker Hub and ghcr.io use.

const TOKEN = "anonymous-pull-token";
let server: Server;
let registry: string;
const seen: string[] = [];

function handle(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? "/", "http://registry");
  seen.push(`${request.method} ${url.pathname}`);
  if (url.pathname === "/token") {
    if (url.searchParams.get("scope") === "repository:team/private:pull") {
      response.writeHead(401).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: TOKEN }));
    return;
  }
  if (url.pathname.startsWith("/v2/broken/")) {
    response.writeHead(500).end();
    return;
  }
  if (url.pathname.startsWith("/v2/slow/")) return; // never answers
  if (request.headers.authorization !== `Bearer ${TOKEN}`) {
    const repository = url.pathname.split("/manifests/")[0]?.slice("/v2/".length);
    response
      .writeHead(401, {
        "www-authenticate": `Bearer realm="${registry}/token",service="test-registry",scope="repository:${repository}:pull"`,
      })
      .end();
    return;
  }
  const known = ["/v2/team/runtime/manifests/1.0.0", "/v2/team/runtime/manifests/sha256:abc"];
  response.writeHead(known.includes(url.pathname) ? 200 : 404).end();
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const host = () => new URL(registry).host;

describe("checkImage against a registry", () => {
  it("finds an existing tag after the anonymous token flow", async () => {
    seen.length = 0;
    expect(await checkImage(`${host()}/team/runtime:1.0.0`)).toEqual({ state: "exists" });
    expect(seen).toEqual([
      "HEAD /v2/team/runtime/manifests/1.0.0",
      "GET /token",
      "HEAD /v2/team/runtime/manifests/1.0.0",
    ]);
    expect(await checkImage(`${host()}/team/runtime@sha256:abc`)).toEqual({ state: "exists" });
  });

  it("reports a tag the registry does not have as missing", async () => {
    expect(await checkImage(`${host()}/team/runtime:9.9.9`)).toEqual({ state: "missing" });
  });

  it("reports a repository that refuses anonymous pulls as denied", async () => {
    const check = await checkImage(`${host()}/team/private:1.0.0`);
    expect(check).toEqual({ state: "denied", reason: `${host()} refuses anonymous access to team/private` });
  });

  it("says why it could not check: a server error, no answer in time, nothing listening", async () => {
    expect(await checkImage(`${host()}/broken/image:1`)).toEqual({
      state: "unknown",
      reason: `${host()} answered HTTP 500`,
    });
    expect(await checkImage(`${host()}/slow/image:1`, { timeoutMs: 300 })).toEqual({
      state: "unknown",
      reason: "the registry did not answer in time",
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = await checkImage(`127.0.0.1:${port}/team/runtime:1.0.0`);
    expect(offline.state).toBe("unknown");
    expect(offline.state === "unknown" && offline.reason).toMatch(/ECONNREFUSED/);
  });
});

describe("parseImageReference", () => {
  it.each([
    ["node:24", { registry: "registry-1.docker.io", repository: "library/node", reference: "24" }],
    ["team/app", { registry: "registry-1.docker.io", repository: "team/app", reference: "latest" }],
    [
      "ghcr.io/capstan-dev/capstan-runtime:0.1.0",
      { registry: "ghcr.io", repository: "capstan-dev/capstan-runtime", reference: "0.1.0" },
    ],
    ["localhost:5000/runtime", { registry: "localhost:5000", repository: "runtime", reference: "latest" }],
    ["r.example/x@sha256:0f", { registry: "r.example", repository: "x", reference: "sha256:0f" }],
  ])("%s", (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });
});

describe("describeImageCheck", () => {
  it("tells the user what to do in each case", () => {
    expect(describeImageCheck("r/i:1", { state: "exists" })).toBe("the manifests use image r/i:1: exists");
    expect(describeImageCheck("r/i:1", { state: "missing" })).toContain("not found — build it");
    expect(describeImageCheck("r/i:1", { state: "missing" })).toContain("or pass --image");
    expect(describeImageCheck("r/i:1", { state: "unknown", reason: "ENOTFOUND" })).toBe(
      "the manifests use image r/i:1: could not check: ENOTFOUND",
    );
  });
});

describe("deploymentImages", () => {
  it("lists each Deployment container image once, ignoring other kinds", () => {
    const deployment = (image: string) => ({
      kind: "Deployment",
      spec: { template: { spec: { containers: [{ name: "runtime", image }] } } },
    });
    const objects = [deployment("r/i:1"), deployment("r/i:1"), deployment("r/j:2"), { kind: "Service", spec: {} }];
    expect(deploymentImages(objects)).toEqual(["r/i:1", "r/j:2"]);
  });
});
