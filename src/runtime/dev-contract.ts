import { readFileSync } from "node:fs";
import type { CelPolicyObjects, WebhookConfigurations } from "../admission/index.ts";
import type { RbacMode } from "../build/rbac.ts";
import { joinPem } from "../tls/index.ts";
import { staticCredentials, type WebhookCredentials } from "./webhook-credentials.ts";

/** What `capstan dev` hands the module process it starts (and restarts on every change). */
export const DevEnv = {
  /** The bundled module to import. */
  moduleFile: "CAPSTAN_MODULE_FILE",
  /** PEM files of the dev CA and serving certificate: the same across restarts, so caBundle never changes. */
  caFile: "CAPSTAN_DEV_CA_FILE",
  certFile: "CAPSTAN_DEV_CERT_FILE",
  keyFile: "CAPSTAN_DEV_KEY_FILE",
  apiPath: "CAPSTAN_DEV_API_PATH",
  host: "CAPSTAN_DEV_HOST",
  port: "CAPSTAN_DEV_PORT",
  /** Where the Store lives in dev mode. */
  namespace: "CAPSTAN_DEV_NAMESPACE",
  /** Name of the webhook configurations the session owns (the child removes them if the session dies). */
  configurationName: "CAPSTAN_DEV_CONFIGURATION",
  /** `<namespace>/<name>` of the session Lease and its holder identity (released with the webhooks). */
  sessionLease: "CAPSTAN_DEV_SESSION_LEASE",
  sessionHolder: "CAPSTAN_DEV_SESSION_HOLDER",
  /** `on`: the module process acts as the module's generated ServiceAccount (`capstan dev --no-impersonate` sets `off`). */
  impersonate: "CAPSTAN_DEV_IMPERSONATE",
  /** `scoped` or `admin`: the rules of that ServiceAccount, as `capstan build --rbac-mode` generates them. */
  rbacMode: "CAPSTAN_DEV_RBAC_MODE",
} as const;

/**
 * What the module process tells `capstan dev` over the IPC channel once its admission server
 * listens (on 127.0.0.1, a free port) and its controller runs: the session points its public port
 * at `port` and applies `configurations` (the session owns the webhook configurations).
 */
export interface DevReadyMessage {
  readonly type: "capstan-dev-ready";
  readonly port: number;
  readonly configurations: WebhookConfigurations;
  /** The module's ValidateCEL policies and bindings (the session applies them and removes them on exit). */
  readonly policies?: readonly CelPolicyObjects[];
}

export function isDevReadyMessage(message: unknown): message is DevReadyMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "capstan-dev-ready" &&
    typeof (message as { port?: unknown }).port === "number"
  );
}

/** A line the module process asks `capstan dev` to print (once per distinct line per session): an RBAC gap. */
export interface DevReportMessage {
  readonly type: "capstan-dev-report";
  readonly line: string;
}

export function isDevReportMessage(message: unknown): message is DevReportMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "capstan-dev-report" &&
    typeof (message as { line?: unknown }).line === "string"
  );
}

export interface DevSettings {
  readonly credentials: WebhookCredentials;
  readonly apiPath: string;
  readonly host: string;
  readonly port: number;
  readonly namespace: string;
  readonly configurationName: string;
  /** Run the module's API calls as its generated ServiceAccount. */
  readonly impersonate: boolean;
  readonly rbacMode: RbacMode;
  /** The session's holder identity: marks the RBAC objects it applied. */
  readonly holder: string;
}

export function devCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): DevSettings {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set: the dev role is started by \`capstan dev\``);
    return value;
  };
  const caCert = readFileSync(need(DevEnv.caFile), "utf8");
  const credentials = {
    caCert,
    caKey: "",
    tlsCert: readFileSync(need(DevEnv.certFile), "utf8"),
    tlsKey: readFileSync(need(DevEnv.keyFile), "utf8"),
    trustBundle: joinPem([caCert]),
  };
  return {
    credentials: staticCredentials(credentials),
    apiPath: need(DevEnv.apiPath),
    host: env[DevEnv.host] ?? "127.0.0.1",
    port: Number(need(DevEnv.port)),
    namespace: need(DevEnv.namespace),
    configurationName: need(DevEnv.configurationName),
    impersonate: env[DevEnv.impersonate] === "on",
    rbacMode: env[DevEnv.rbacMode] === "admin" ? "admin" : "scoped",
    holder: env[DevEnv.sessionHolder] ?? `pid ${process.pid}`,
  };
}
