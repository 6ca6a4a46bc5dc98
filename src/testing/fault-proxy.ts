import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface FaultProxyOptions {
  /** Where to forward, e.g. the API server's `https://127.0.0.1:6443` (only host and port are used). */
  readonly target: string;
  /** Port to listen on (127.0.0.1). Default: any free port. */
  readonly port?: number;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Saw a black hole: stays silent until closed, like a connection through a dead NAT entry. */
  dead: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 for fault-injection tests: between a client and the API server it can
 * reset every connection (RST), black-hole traffic (connections stay open but nothing passes, no
 * RST or FIN: a half-open connection), and add latency to every chunk. TLS passes through as bytes.
 */
export class FaultProxy {
  readonly #target: { host: string; port: number };
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #blackHole = false;
  #latencyMs = 0;
  #port = 0;
  readonly stats = { connections: 0, resets: 0, blackHoles: 0 };

  private constructor(options: FaultProxyOptions) {
    const url = new URL(options.target);
    this.#target = { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)) };
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const address = proxy.#server.address();
    proxy.#port = typeof address === "object" && address ? address.port : 0;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** The proxy's URL with the target's scheme, to use as a client's server. */
  url(scheme = "https"): string {
    return `${scheme}://127.0.0.1:${this.#port}`;
  }

  get openConnections(): number {
    return this.#pairs.size;
  }

  /** Sends RST on every open connection, both sides. */
  resetAll(): number {
    const count = this.#pairs.size;
    for (const pair of this.#pairs) this.#destroy(pair, true);
    this.stats.resets += count;
    return count;
  }

  /**
   * While on, nothing passes in either direction and new connections are accepted but never
   * forwarded. Connections open during a black hole stay dead afterwards (until a side closes).
   */
  setBlackHole(on: boolean): void {
    if (on && !this.#blackHole) this.stats.blackHoles++;
    this.#blackHole = on;
    if (on) for (const pair of this.#pairs) pair.dead = true;
  }

  /** Delays every chunk in both directions by this many milliseconds (order is kept). */
  setLatency(ms: number): void {
    this.#latencyMs = Math.max(0, ms);
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) this.#destroy(pair, false);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.stats.connections++;
    const upstream = createConnection(this.#target);
    const pair: Pair = { client, upstream, dead: this.#blackHole };
    this.#pairs.add(pair);
    this.#pipe(pair, client, upstream);
    this.#pipe(pair, upstream, client);
    const done = () => this.#destroy(pair, false);
    client.once("close", done);
    upstream.once("close", done);
    client.on("error", done);
    upstream.on("error", done);
  }

  #pipe(pair: Pair, from: Socket, to: Socket): void {
    let last = Promise.resolve();
    from.on("data", (chunk: Buffer) => {
      if (pair.dead || this.#blackHole) return;
      if (this.#latencyMs === 0) {
        to.write(chunk);
        return;
      }
      const delay = this.#latencyMs;
      last = last.then(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              if (!pair.dead && !to.destroyed) to.write(chunk);
              resolve();
            }, delay),
          ),
      );
    });
    from.once("end", () => {
      if (!pair.dead) last.then(() => to.end());
    });
  }

  #destroy(pair: Pair, reset: boolean): void {
    if (!this.#pairs.delete(pair)) return;
    for (const socket of [pair.client, pair.upstream]) {
      if (reset && !socket.destroyed && typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
