import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { WorkerCommand, WorkerReply } from "./fixtures/store-worker.ts";

/** The value the fill commands write: it names its key, so a reader can tell it is the right one. */
export const fillValue = (key: string, bytes: number) => `${key}:`.padEnd(bytes, "x");

const script = fileURLToPath(new URL("./fixtures/store-worker.ts", import.meta.url));

/** A store process started with this Node (`process.execPath`), answering commands over IPC. */
export class StoreProcess {
  readonly child: ChildProcess;
  readonly #replies: WorkerReply[] = [];
  readonly #waiting: ((reply: WorkerReply) => void)[] = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    child.on("message", (reply: WorkerReply) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(reply);
      else this.#replies.push(reply);
    });
  }

  static async start(env: {
    kubeconfig: string;
    namespace: string;
    name: string;
    /** The store's patches in flight (default: the store's own default). */
    maxInFlight?: number;
  }): Promise<StoreProcess> {
    const child = fork(script, [], {
      execPath: process.execPath,
      env: {
        ...process.env,
        KUBECONFIG_PATH: env.kubeconfig,
        STORE_NAMESPACE: env.namespace,
        STORE_NAME: env.name,
        ...(env.maxInFlight === undefined ? {} : { STORE_MAX_IN_FLIGHT: String(env.maxInFlight) }),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const worker = new StoreProcess(child);
    const first = await worker.next();
    if (!("ready" in first)) throw new Error(`store process failed to start: ${JSON.stringify(first)}`);
    return worker;
  }

  next(): Promise<WorkerReply> {
    const queued = this.#replies.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.#waiting.push(resolve);
      this.child.once("exit", (code, signal) => reject(new Error(`store process exited (${code ?? signal})`)));
    });
  }

  async ask(command: WorkerCommand): Promise<WorkerReply> {
    this.child.send(command);
    const reply = await this.next();
    if ("failed" in reply) throw new Error(`store process failed: ${reply.failed}`);
    return reply;
  }

  /** Asks the process to flush and exit; kills it if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.send({ do: "exit" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
