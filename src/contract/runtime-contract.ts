// The contract between the manifests `capstan build` writes and the runtime entry the Deployments run
// (`src/runtime/main.ts`). Both sides import these names; docs/deploy.md describes them.

/** The two roles a Deployment runs. `dev` runs both in one local process and is not deployed. */
export type DeployedRole = "admission" | "controller";
export const deployedRoles: readonly DeployedRole[] = ["admission", "controller"];

/** Where the runtime image installs capstan; the module's bundle resolves `capstan` from `/app/node_modules`. */
export const APP_DIR = "/app";
/** The Deployment command: `node <RUNTIME_ENTRY> --role <role>`. */
export const RUNTIME_ENTRY = "/app/node_modules/capstan/dist/runtime/main.js";
export const ROLE_FLAG = "--role";
/**
 * Node flags of every runtime process (Deployments and `capstan dev`). V8 would otherwise grow the
 * young generation to 128 MiB under admission load; 8 MiB semi-spaces keep the resident set ~100 MiB
 * smaller at the same requests/s (bench/RESULTS.md, docs/adr/0007-benchmark-harness.md).
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ["--enable-source-maps", "--max-semi-space-size=8"];

/** Environment variables every Deployment sets. */
export const RuntimeEnv = {
  /** Folder holding the module chunk files (every chunk Secret projected into one volume). */
  moduleDir: "CAPSTAN_MODULE_DIR",
  /** Hex SHA-256 of the uncompressed module bundle; start-up refuses code that does not match. */
  moduleSha256: "CAPSTAN_MODULE_SHA256",
  /** Hex SHA-256 of the module's source map (shipped beside the code when present). */
  moduleMapSha256: "CAPSTAN_MODULE_MAP_SHA256",
  /** Writable folder under /app where the runtime writes the reassembled bundle before importing it. */
  moduleWorkDir: "CAPSTAN_MODULE_WORK_DIR",
  /** The namespace the module runs in (also the Downward API's namespace). */
  namespace: "CAPSTAN_NAMESPACE",
  uuid: "CAPSTAN_UUID",
  /** `pepr` or `capstan`: whose names the manifests use; the runtime derives the same ones (resource-names.ts). */
  flavor: "CAPSTAN_FLAVOR",
  role: "CAPSTAN_ROLE",
  /** "true" on the one role that creates, rotates and publishes the webhook certificates. */
  manageCertificates: "CAPSTAN_MANAGE_CERTIFICATES",
  /** Name of the Secret holding the webhook CA and serving certificate. */
  tlsSecret: "CAPSTAN_TLS_SECRET",
  /** Name of the Service the webhooks call (the serving certificate's DNS names derive from it). */
  webhookService: "CAPSTAN_WEBHOOK_SERVICE",
  /** Comma-separated names of the module's Mutating/ValidatingWebhookConfigurations (for caBundle updates). */
  mutatingWebhooks: "CAPSTAN_MUTATING_WEBHOOKS",
  validatingWebhooks: "CAPSTAN_VALIDATING_WEBHOOKS",
  /**
   * The path segment of the webhook URLs (`/mutate/<apiPath>`) the shipped webhook configurations call;
   * the same in every build of a module. The deployed admission role must serve this one.
   */
  apiPath: "CAPSTAN_API_PATH",
  /**
   * Another path segment the admission role also accepts: `capstan deploy` sets it to Pepr's path
   * while it takes over a Pepr deployment, whose webhooks still call Pepr's path until they switch.
   */
  takeoverApiPath: "CAPSTAN_TAKEOVER_API_PATH",
  /** The Lease the controller replicas elect a leader with. */
  leaseName: "CAPSTAN_LEASE_NAME",
  /** Name of the Pod (Downward API), the leader-election identity. */
  podName: "CAPSTAN_POD_NAME",
  logLevel: "LOG_LEVEL",
  /** Overrides SERVE_PORT; only for running several roles as host processes on one machine (tests). */
  servePort: "CAPSTAN_SERVE_PORT",
} as const;

/** Mount points inside the container. */
export const MODULE_CHUNKS_MOUNT = "/app/module-chunks";
export const MODULE_WORK_MOUNT = "/app/module";

/** Both roles listen on this port: admission over HTTPS (webhooks, health, metrics), the controller over HTTP. */
export const SERVE_PORT = 3000;
export const servingScheme: Readonly<Record<DeployedRole, "HTTPS" | "HTTP">> = {
  admission: "HTTPS",
  controller: "HTTP",
};
export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";
export const METRICS_PATH = "/metrics";
/** Webhook URL paths on the admission Service; the runtime serves the same. */
export const MUTATE_PATH = "/mutate";
export const VALIDATE_PATH = "/validate";

/** Labels on every object capstan generates; `app.kubernetes.io/component` carries the role. */
export const Labels = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  component: "app.kubernetes.io/component",
  managedBy: "app.kubernetes.io/managed-by",
  uuid: "capstan.dev/uuid",
} as const;
/**
 * Pepr's labels, also on a Pepr-mode module's Deployments, pods and Services (beside `pepr.dev/uuid`):
 * Pepr 1.1.4 selects a role's pods by `app` and `pepr.dev/controller`, and a Deployment's selector
 * cannot change, so a Pepr-mode deploy keeps exactly that selector.
 */
export const PeprLabels = { app: "app", controller: "pepr.dev/controller" } as const;
/** The `pepr.dev/controller` value of each role. */
export const peprControllerOf: Readonly<Record<DeployedRole, "admission" | "watcher">> = {
  admission: "admission",
  controller: "watcher",
};
/** On module chunk Secrets: the code hash (first 63 hex digits), so `capstan deploy` can prune old builds. */
export const MODULE_SHA_LABEL = "capstan.dev/module-sha256";

/**
 * The server-side-apply field manager of `capstan deploy` (and `capstan dev`) for capstan-mode
 * manifests. Pepr-mode manifests are applied as `pepr` (`deployFieldManager`), the manager Pepr's own
 * deploy used: applying as the same manager replaces the fields Pepr set instead of merging beside them.
 */
export const FIELD_MANAGER = "capstan";
/**
 * The field manager the deployed runtime must use when it writes `caBundle` (and anything else) into
 * its webhook configurations. It must differ from `FIELD_MANAGER`: a later `capstan deploy` applies the
 * configurations without `caBundle`, and server-side apply removes fields its own manager set before
 * and no longer sends.
 */
export const RUNTIME_FIELD_MANAGER = "capstan-runtime";
