import { connect, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type DevProxy, PortTakenError, startDevProxy } from "../../../src/runtime/dev-proxy.ts";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function echoServer(tag: string): Promise<number> {
  const server = createServer((socket) => socket.on("data", (data) => socket.end(`${tag}:${data}`)));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
}

function ask(proxy: DevProxy, text: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(proxy.port, "127.0.0.1", () => socket.write(text));
    socket.on("data", (data) => {
      answer += data;
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", () => {});
  });
}

describe("dev proxy", () => {
  it("passes connections to the current target, and refuses them while there is none", async () => {
    const proxy = await startDevProxy("127.0.0.1", 0);
    closers.push(() => proxy.close());
    expect(await ask(proxy, "hi")).toBe("");
    proxy.target(await echoServer("one"));
    expect(await ask(proxy, "hi")).toBe("one:hi");
    proxy.target(await echoServer("two"));
    expect(await ask(proxy, "hi")).toBe("two:hi");
  });

  it("a taken port is one line naming it and what to do", async () => {
    const taken = await echoServer("x");
    const error = await startDevProxy("127.0.0.1", taken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortTakenError);
    expect((error as Error).message).toBe(
      `port ${taken} on 127.0.0.1 is taken by another process: pass another --port, or leave --port out for a free one`,
    );
  });
});
