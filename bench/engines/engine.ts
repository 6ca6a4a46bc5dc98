// What the bench harness needs of an engine (capstan, Pepr): start the bench module in a process of
// its own against the local control plane, tell where its webhooks are, stream the module's
// `BENCH …` lines, and stop. Scenarios drive every engine through this interface only.
import type { BenchEvent } from "./engine-process.ts";

export type Scenario = "admission" | "watch" | "store" | "cel" | "audit";

export interface EngineStartOptions {
  /** Kubeconfig of the local control plane. */
  readonly kubeconfig: string;
  /** The namespace the module's bindings use (BENCH_NAMESPACE). */
  readonly namespace: string;
  readonly scenario: Scenario;
  /** Free port on 127.0.0.1 for the admission server. */
  readonly port: number;
  /** Further BENCH_* variables for the module (see bench/module/capabilities/bench.ts). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Register the engine's webhook configurations with the API server (pointing at 127.0.0.1:port),
   * as its dev mode does. Off for runs that post AdmissionReviews straight to the server.
   */
  readonly registerWebhooks: boolean;
}

export interface RunningEngine {
  readonly pid: number;
  /** Epoch ms (performance.timeOrigin + now) just before the process was spawned. */
  readonly spawnedAt: number;
  /** HTTPS URLs of the mutate and validate routes on 127.0.0.1 (admission scenario). */
  readonly mutateUrl: string;
  readonly validateUrl: string;
  /** A URL that answers 200 once the admission server serves (for start-up timing). */
  readonly healthUrl: string;
  /** PEM CA that signed the serving certificate. */
  readonly caCert: string;
  /** Resolves with the first event (since start) of this name (and name, when given); rejects if the process exits. */
  waitFor(event: string, name?: string, timeoutMs?: number): Promise<BenchEvent>;
  /** Calls `listener` with every BENCH line since the process started, then with each new one. */
  onEvent(listener: (event: BenchEvent) => void): () => void;
  /** Resolves once the webhooks are registered and served (registerWebhooks) or the server serves. */
  ready(timeoutMs?: number): Promise<void>;
  /** Resident set size now and at its peak, and CPU time used, of the engine's process tree. */
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

export interface ProcessUsage {
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly cpuMs: number;
}

export interface Engine {
  /** Short name used in tables: "capstan", "pepr". */
  readonly name: string;
  readonly version: string;
  /** Installs or builds whatever the engine needs once per harness run (idempotent). */
  prepare(): Promise<void>;
  start(options: EngineStartOptions): Promise<RunningEngine>;
}
