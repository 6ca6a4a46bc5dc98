// A child process running an engine: the `BENCH {…}` lines the bench module writes to fd 3 become
// events, its stdout and stderr go to a log file (whose tail is shown when it dies), and /proc
// gives its memory and CPU.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { ProcessUsage } from "./engine.ts";

export interface BenchEvent {
  readonly event: string;
  readonly name: string;
  /** Epoch ms with sub-ms precision (performance.timeOrigin + performance.now()). */
  readonly at: number;
}

export interface EngineProcessOptions {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logFile: string;
  /** Opens an IPC channel (fd 4) and passes the child's messages here. */
  readonly onMessage?: (message: unknown) => void;
}

const PREFIX = "BENCH ";
const EVENTS_FD = 3;
const TICKS_PER_SECOND = 100;

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export class EngineProcess {
  readonly label: string;
  readonly spawnedAt: number;
  readonly #child: ChildProcess;
  readonly #listeners = new Set<(event: BenchEvent) => void>();
  /** Every event so far: a listener added late replays them first. */
  readonly #history: BenchEvent[] = [];
  readonly #logFile: string;
  readonly #exited: Promise<number | null>;
  #peakRss = 0;

  constructor(options: EngineProcessOptions) {
    this.label = options.label;
    this.#logFile = options.logFile;
    // The engine's own output goes straight to the log file; BENCH lines come over a pipe of their own (fd 3).
    const log = openSync(options.logFile, "w");
    this.spawnedAt = now();
    this.#child = spawn(options.command, [...options.args], {
      env: { ...options.env, BENCH_EVENTS_FD: String(EVENTS_FD) },
      cwd: options.cwd,
      stdio: options.onMessage ? ["ignore", log, log, "pipe", "ipc"] : ["ignore", log, log, "pipe"],
      detached: true,
    });
    if (options.onMessage) this.#child.on("message", options.onMessage);
    closeSync(log);
    const lines = createInterface({ input: this.#child.stdio[EVENTS_FD] as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      if (!line.startsWith(PREFIX)) return;
      const event = JSON.parse(line.slice(PREFIX.length)) as BenchEvent;
      this.#history.push(event);
      for (const listener of this.#listeners) listener(event);
    });
    this.#exited = new Promise((resolve) => this.#child.once("exit", (code) => resolve(code)));
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Calls `listener` with every event so far, then with each new one. */
  onEvent(listener: (event: BenchEvent) => void): () => void {
    for (const event of [...this.#history]) listener(event);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  waitFor(event: string, name?: string, timeoutMs = 120_000): Promise<BenchEvent> {
    return this.until(
      (resolve) => this.onEvent((e) => e.event === event && (name === undefined || e.name === name) && resolve(e)),
      `event ${event}${name ? ` ${name}` : ""}`,
      timeoutMs,
    );
  }

  /** Runs `subscribe` until it resolves; fails with the log's tail if the process exits or time runs out. */
  until<T>(subscribe: (resolve: (value: T) => void) => () => void, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let unsubscribe: (() => void) | undefined;
      const timer = setTimeout(() => finish(new Error(`${this.label}: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const finish = (outcome: T | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe?.();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      void this.#exited.then((code) =>
        finish(new Error(`${this.label} exited (${code}) before ${what}:\n${this.logTail()}`)),
      );
      // A replayed event may settle the promise while subscribing.
      unsubscribe = subscribe((value) => finish(value));
      if (settled) unsubscribe();
    });
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.#logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  usage(): ProcessUsage {
    const usage = processUsage(this.pid);
    this.#peakRss = Math.max(this.#peakRss, usage.peakRssBytes);
    return { ...usage, peakRssBytes: this.#peakRss };
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    process.kill(-this.pid, "SIGTERM");
    const killer = setTimeout(() => {
      if (this.running) process.kill(-this.pid, "SIGKILL");
    }, 10_000);
    await this.#exited;
    clearTimeout(killer);
  }
}

/** Memory (now and at its high-water mark) and CPU time of a process and its descendants, from /proc. */
export function processUsage(root: number): ProcessUsage {
  let rssBytes = 0;
  let peakRssBytes = 0;
  let cpuMs = 0;
  for (const pid of processTree(root)) {
    const status = safeRead(`/proc/${pid}/status`);
    rssBytes += kib(status, "VmRSS") * 1024;
    peakRssBytes += kib(status, "VmHWM") * 1024;
    const stat = safeRead(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    cpuMs += ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * (1000 / TICKS_PER_SECOND);
  }
  return { rssBytes, peakRssBytes, cpuMs };
}

export function processTree(root: number): number[] {
  const pids = [root];
  for (let index = 0; index < pids.length; index++) {
    const pid = pids[index] as number;
    const children = safeRead(`/proc/${pid}/task/${pid}/children`).trim();
    if (children) pids.push(...children.split(/\s+/).map(Number));
  }
  return pids;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function kib(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) : 0;
}
