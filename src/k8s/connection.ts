import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";

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

interface KubeconfigCluster {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
}
interface KubeconfigUser {
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  "auth-provider"?: unknown;
}
/** One entry of a kubeconfig's `clusters`, `users` or `contexts` list. */
interface KubeconfigEntry {
  name: string;
  cluster?: KubeconfigCluster;
  user?: KubeconfigUser;
  context?: { cluster?: string; user?: string };
}
interface Kubeconfig {
  "current-context"?: string;
  clusters?: KubeconfigEntry[];
  users?: KubeconfigEntry[];
  contexts?: KubeconfigEntry[];
}

const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
const tokenRefreshMs = 60_000;

/**
 * Resolves the connection the way kubectl does: an explicit kubeconfig, else $KUBECONFIG (a list,
 * first match wins), else ~/.kube/config, else the pod's service account. Certificates, tokens and
 * token files are read directly; exec and auth-provider users are handed to @kubernetes/client-node,
 * which is loaded only then because importing it costs about 2 s and 85 MB (docs/adr/0004).
 */
export async function loadConnection(options: ConnectionOptions = {}): Promise<Connection> {
  const files = options.kubeconfig
    ? [options.kubeconfig]
    : (process.env.KUBECONFIG?.split(delimiter).filter(Boolean) ?? [join(homedir(), ".kube", "config")]);
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) {
    if (options.kubeconfig) throw new Error(`kubeconfig ${options.kubeconfig} does not exist`);
    if (process.env.KUBERNETES_SERVICE_HOST) return inClusterConnection();
    // Name the files: "set KUBECONFIG" misleads when it is set to a file that is gone.
    throw new Error(
      `no kubeconfig: ${files.join(", ")} ${files.length === 1 ? "does" : "do"} not exist: point KUBECONFIG at an existing file (or run \`npx capstan cluster up\` for a local cluster)`,
    );
  }
  return fromKubeconfigFiles(existing, options.context);
}

/** The pod's own service account: the token file is re-read so rotated tokens are picked up. */
export function inClusterConnection(dir = serviceAccountDir): Connection {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host) throw new Error("KUBERNETES_SERVICE_HOST is not set: not running in a pod");
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    server,
    tls: { ca: readFileSync(join(dir, "ca.crt")), rejectUnauthorized: true },
    headers: bearerFromFile(join(dir, "token")),
  };
}

async function fromKubeconfigFiles(files: string[], contextName?: string): Promise<Connection> {
  const merged = {
    clusters: [] as KubeconfigEntry[],
    users: [] as KubeconfigEntry[],
    contexts: [] as KubeconfigEntry[],
    current: undefined as string | undefined,
    base: new Map<KubeconfigEntry, string>(),
  };
  for (const file of files) {
    const config = (parse(readFileSync(file, "utf8")) ?? {}) as Kubeconfig;
    merged.current ??= config["current-context"] || undefined;
    for (const key of ["clusters", "users", "contexts"] as const) {
      for (const entry of config[key] ?? []) {
        if (!merged[key].some((e) => e.name === entry.name)) {
          merged[key].push(entry);
          merged.base.set(entry, dirname(file));
        }
      }
    }
  }
  const name = contextName ?? merged.current;
  if (!name) throw new Error(`no current-context in ${files.join(", ")}; pass a context`);
  const context = merged.contexts.find((c) => c.name === name)?.context;
  if (!context) throw new Error(`context "${name}" is not defined in ${files.join(", ")}`);
  const clusterEntry = merged.clusters.find((c) => c.name === context.cluster);
  const cluster = clusterEntry?.cluster;
  if (!clusterEntry || !cluster?.server) {
    throw new Error(`context "${name}" names cluster "${context.cluster}", which has no server in ${files.join(", ")}`);
  }
  const userEntry = merged.users.find((u) => u.name === context.user);
  const user = userEntry?.user ?? {};
  if (user.exec || user["auth-provider"]) return viaClientNode(files, name);

  const clusterBase = merged.base.get(clusterEntry) ?? ".";
  const userBase = userEntry ? (merged.base.get(userEntry) ?? ".") : ".";
  const material = (data: string | undefined, file: string | undefined, base: string) =>
    data ? Buffer.from(data, "base64") : file ? readFileSync(isAbsolute(file) ? file : join(base, file)) : undefined;
  let headers: () => Promise<Record<string, string>> = async () => ({});
  if (user.token) headers = async () => ({ authorization: `Bearer ${user.token}` });
  else if (user.tokenFile)
    headers = bearerFromFile(isAbsolute(user.tokenFile) ? user.tokenFile : join(userBase, user.tokenFile));
  else if (user.username && user.password) {
    const basic = Buffer.from(`${user.username}:${user.password}`).toString("base64");
    headers = async () => ({ authorization: `Basic ${basic}` });
  }
  return {
    server: cluster.server.replace(/\/+$/, ""),
    tls: {
      ca: material(cluster["certificate-authority-data"], cluster["certificate-authority"], clusterBase),
      cert: material(user["client-certificate-data"], user["client-certificate"], userBase),
      key: material(user["client-key-data"], user["client-key"], userBase),
      rejectUnauthorized: !cluster["insecure-skip-tls-verify"],
    },
    headers,
  };
}

function bearerFromFile(file: string): () => Promise<Record<string, string>> {
  let token = readFileSync(file, "utf8").trim();
  let readAt = Date.now();
  return async () => {
    if (Date.now() - readAt > tokenRefreshMs) {
      token = readFileSync(file, "utf8").trim();
      readAt = Date.now();
    }
    return { authorization: `Bearer ${token}` };
  };
}

async function viaClientNode(files: string[], context: string): Promise<Connection> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  config.loadFromFile(files[0] as string);
  config.setCurrentContext(context);
  const apply = async () => {
    const options: { headers?: Record<string, unknown>; ca?: unknown; cert?: unknown; key?: unknown } = {};
    await config.applyToHTTPSOptions(options);
    return options;
  };
  const first = await apply();
  const cluster = config.getCurrentCluster();
  let cached = first;
  let readAt = Date.now();
  const asMaterial = (v: unknown) => (typeof v === "string" || Buffer.isBuffer(v) ? v : undefined);
  return {
    server: (cluster?.server ?? "").replace(/\/+$/, ""),
    tls: {
      ca: asMaterial(first.ca),
      cert: asMaterial(first.cert),
      key: asMaterial(first.key),
      rejectUnauthorized: !cluster?.skipTLSVerify,
    },
    headers: async () => {
      if (Date.now() - readAt > tokenRefreshMs) {
        cached = await apply();
        readAt = Date.now();
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(cached.headers ?? {}))
        if (typeof v === "string") headers[k.toLowerCase()] = v;
      return headers;
    },
  };
}
