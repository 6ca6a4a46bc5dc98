import type { RequestOptions } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

/** Where the API server is and how to authenticate to it, resolved from a kubeconfig or the pod's service account. */
export interface Connection {
  readonly server: string;
  readonly tls: {
    readonly ca?: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
    readonly rejectUnauthorized: boolean;
  };
  /** Current request headers (Authorization for tokens); re-read because tokens rotate. */
  readonly headers: () => Promise<Record<string, string>>;
}

export interface ConnectionOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  readonly kubeconfig?: string;
  readonly context?: string;
}

const headerRefreshMs = 60_000;

export function loadConnection(options: ConnectionOptions = {}): Promise<Connection> {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) config.setCurrentContext(options.context);
  return connectionFrom(config);
}

export async function connectionFrom(config: KubeConfig): Promise<Connection> {
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new Error(
      "no Kubernetes cluster is configured: set KUBECONFIG (or run `npx capstan cluster up` for a local one)",
    );
  }
  const first = await applied(config);
  let headers = first.headers;
  let readAt = Date.now();
  return {
    server: cluster.server.replace(/\/+$/, ""),
    tls: {
      ca: first.ca,
      cert: first.cert,
      key: first.key,
      rejectUnauthorized: !cluster.skipTLSVerify,
    },
    headers: async () => {
      if (Date.now() - readAt > headerRefreshMs) {
        headers = (await applied(config)).headers;
        readAt = Date.now();
      }
      return headers;
    },
  };
}

async function applied(config: KubeConfig) {
  const options: RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value === "string") headers[name] = value;
  }
  return {
    ca: options.ca as string | Buffer | undefined,
    cert: options.cert as string | Buffer | undefined,
    key: options.key as string | Buffer | undefined,
    headers,
  };
}
