/**
 * Pepr 1.1.4's environment variables, read once at process start and handed to the engines as typed
 * options (engines never read the environment). docs/migrating-from-pepr.md, "Helm values and
 * environment", says what each one does under capstan. PEPR_RECONCILE_STRATEGY has its own reader,
 * reconcile-settings.ts.
 */
export const PeprEnvName = {
  watchMode: "PEPR_WATCH_MODE",
  mode: "PEPR_MODE",
  additionalIgnoredNamespaces: "PEPR_ADDITIONAL_IGNORED_NAMESPACES",
  storeRedactValues: "PEPR_STORE_REDACT_VALUES",
  prettyLogs: "PEPR_PRETTY_LOGS",
  nodeWarnings: "PEPR_NODE_WARNINGS",
  maxCacheMissWindows: "PEPR_MAX_CACHE_MISS_WINDOWS",
  lastSeenLimitSeconds: "PEPR_LAST_SEEN_LIMIT_SECONDS",
  relistIntervalSeconds: "PEPR_RELIST_INTERVAL_SECONDS",
  resyncFailureMax: "PEPR_RESYNC_FAILURE_MAX",
  resyncDelaySeconds: "PEPR_RESYNC_DELAY_SECONDS",
  retryDelaySeconds: "PEPR_RETRY_DELAY_SECONDS",
  keepAliveTimeoutMs: "PEPR_KEEP_ALIVE_TIMEOUT_MS",
  headersTimeoutMs: "PEPR_HEADERS_TIMEOUT_MS",
  apiPath: "PEPR_API_PATH",
  sslKeyPath: "SSL_KEY_PATH",
  sslCertPath: "SSL_CERT_PATH",
  customBuildName: "PEPR_CUSTOM_BUILD_NAME",
} as const;

export interface PeprEnvOptions {
  /** From PEPR_WATCH_MODE: `true` runs the controller role, `false` the admission role (when no --role is given). */
  readonly role?: "admission" | "controller";
  /** PEPR_MODE (`dev` or `build`): set by Pepr's own CLI; capstan's CLI runs its roles itself. */
  readonly mode?: "dev" | "build";
  /** PEPR_ADDITIONAL_IGNORED_NAMESPACES: namespaces the watches ignore, besides the module's own. */
  readonly additionalIgnoredNamespaces: readonly string[];
  /** PEPR_STORE_REDACT_VALUES: capstan never logs Store values, so this is always effectively on. */
  readonly storeRedactValues: boolean;
  /** PEPR_PRETTY_LOGS: accepted; capstan's logs stay JSON (pipe them through pino-pretty to read). */
  readonly prettyLogs: boolean;
  /** PEPR_NODE_WARNINGS: unless true, a Pepr-mode process drops Node's warning listeners, as Pepr does. */
  readonly nodeWarnings: boolean;
  /** PEPR_MAX_CACHE_MISS_WINDOWS: how many `window` labels `pepr_cache_miss` keeps. */
  readonly maxCacheMissWindows?: number;
  /** Variables that are set but that capstan does not need, each with the reason (logged once at start). */
  readonly unneeded: readonly { readonly name: string; readonly reason: string }[];
}

/** Why capstan needs no value for these (docs/migrating-from-pepr.md has the longer story). */
const unneededReasons: Readonly<Partial<Record<string, string>>> = {
  [PeprEnvName.lastSeenLimitSeconds]:
    "capstan's watches ask for bookmarks and reconnect after 90 s without any message from the API server",
  [PeprEnvName.relistIntervalSeconds]:
    "capstan resumes each watch from its last resourceVersion and relists on 410 Gone, so no event is missed and no periodic relist is needed",
  [PeprEnvName.resyncFailureMax]: "capstan's watches retry with backoff and never give up",
  [PeprEnvName.resyncDelaySeconds]: "capstan's watches retry with exponential backoff",
  [PeprEnvName.retryDelaySeconds]: "capstan's watches retry with exponential backoff",
  [PeprEnvName.apiPath]:
    "capstan derives the webhook path from the module's uuid (Helm value secrets.apiPath overrides it)",
  [PeprEnvName.sslKeyPath]: "capstan makes and rotates the webhook certificate at run time and keeps it in a Secret",
  [PeprEnvName.sslCertPath]: "capstan makes and rotates the webhook certificate at run time and keeps it in a Secret",
  [PeprEnvName.storeRedactValues]: "capstan never writes Store values to its logs",
  [PeprEnvName.prettyLogs]: "capstan logs JSON lines; pipe them through pino-pretty to read them",
  [PeprEnvName.customBuildName]: "a build-time name; capstan build takes --custom-name",
  [PeprEnvName.keepAliveTimeoutMs]:
    "capstan's webhook server keeps idle connections 100 s (longer than the API server's 90 s) and waits 32 s for headers",
  [PeprEnvName.headersTimeoutMs]:
    "capstan's webhook server keeps idle connections 100 s (longer than the API server's 90 s) and waits 32 s for headers",
};

function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new Error(`Invalid ${name} "${value}": use true or false`);
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, minimum: number): number | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) {
    throw new Error(`Invalid ${name} "${value}": use a whole number of at least ${minimum}`);
  }
  return number;
}

/** Reads Pepr's environment variables; throws a one-line error naming the variable and what to use. */
export function peprEnv(env: NodeJS.ProcessEnv = process.env): PeprEnvOptions {
  const watchMode = flag(env, PeprEnvName.watchMode);
  const mode = env[PeprEnvName.mode];
  if (mode && mode !== "dev" && mode !== "build") {
    throw new Error(`Invalid ${PeprEnvName.mode} "${mode}": use dev or build, or leave it unset`);
  }
  const namespaces = (env[PeprEnvName.additionalIgnoredNamespaces] ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const maxWindows = wholeNumber(env, PeprEnvName.maxCacheMissWindows, 1);
  const options: Omit<PeprEnvOptions, "unneeded"> = {
    ...(watchMode === undefined ? {} : { role: watchMode ? "controller" : "admission" }),
    ...(mode ? { mode: mode as "dev" | "build" } : {}),
    additionalIgnoredNamespaces: namespaces,
    storeRedactValues: flag(env, PeprEnvName.storeRedactValues) ?? false,
    prettyLogs: flag(env, PeprEnvName.prettyLogs) ?? false,
    // Pepr keeps warnings when the variable is set at all.
    nodeWarnings: Boolean(env[PeprEnvName.nodeWarnings]),
    ...(maxWindows === undefined ? {} : { maxCacheMissWindows: maxWindows }),
  };
  const unneeded = Object.entries(unneededReasons)
    .filter(([name]) => env[name] !== undefined && env[name] !== "")
    .map(([name, reason]) => ({ name, reason: reason as string }));
  return { ...options, unneeded };
}
