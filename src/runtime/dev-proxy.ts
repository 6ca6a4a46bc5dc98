import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * The session's public webhook port: a TCP pass-through (TLS ends in the module process) to
 * whichever module process serves now. Switching processes changes no webhook configuration, and
 * the port stays bound for the whole session, so a reload can never find it taken.
 */
export interface DevProxy {
  readonly port: number;
  /** Sends new connections to this loopback port; `undefined` refuses them (nothing serves). */
  target(port: number | undefined): void;
  close(): Promise<void>;
}

export class PortTakenError extends Error {}

export async function startDevProxy(host: string, port: number): Promise<DevProxy> {
  let targetPort: number | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const to = targetPort;
    if (to === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(to, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new PortTakenError(
              `port ${port} on ${host} is taken by another process: pass another --port, or leave --port out for a free one`,
            )
          : error.code === "EADDRNOTAVAIL"
            ? new Error(`${host} is not an address of this machine: pass --host with one of its addresses`)
            : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    target(next) {
      targetPort = next;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
