import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { RUNTIME_NODE_FLAGS } from "../contract/index.ts";
import { type DevReadyMessage, isDevReadyMessage } from "./dev-contract.ts";
import { tailLines } from "./dev-logs.ts";

export interface DevChildOptions {
  /** `<capstan>/dist/runtime/dev-main.js` of the capstan the module installed. */
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
  /** The session's module log: the process appends its JSON lines (stdout) there. */
  readonly logFile: string;
  /** This process's stderr goes to this file; the session echoes it. */
  readonly stderrFile: string;
  readonly onStderr: (line: string) => void;
  /** Called when the process exits, before its cause is read: read the rest of the log now. */
  readonly beforeExit?: () => void;
  /** Every other message the process sends over the IPC channel (RBAC gaps: dev-contract.ts). */
  readonly onMessage?: (message: unknown) => void;
  /** Give up on a process that has not reported ready in this time. Default 60 s. */
  readonly readyTimeoutMs?: number;
}

export interface DevChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One module process of a dev session (`runtime/dev-main.js`). */
export interface DevChild {
  readonly pid: number | undefined;
  /** Settles once the process serves; rejects with the reason when it exits or times out first. */
  readonly ready: Promise<DevReadyMessage>;
  readonly exited: Promise<DevChildExit>;
  /** Feeds one line this process logged (the session reads the shared log and routes by pid). */
  noteLogLine(line: string): void;
  /** The last error the process logged or printed, in one line. */
  cause(): string | undefined;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

export function startDevChild(options: DevChildOptions): DevChild {
  const out = openSync(options.logFile, "a");
  const err = openSync(options.stderrFile, "a");
  const proc: ChildProcess = spawn(process.execPath, [...RUNTIME_NODE_FLAGS, options.entry], {
    stdio: ["ignore", out, err, "ipc"],
    env: options.env,
  });
  closeSync(out);
  closeSync(err);
  let lastCause: string | undefined;
  const stderr = tailLines(options.stderrFile, (line) => {
    options.onStderr(line);
    if (/^\w*(Error|Exception)\b.*:/.test(line.trim())) lastCause = line.trim();
  });
  const exited = new Promise<DevChildExit>((resolve) => {
    proc.once("exit", (code, signal) => {
      stderr.stop();
      options.beforeExit?.();
      resolve({ code, signal });
    });
    proc.once("error", () => resolve({ code: null, signal: null }));
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const ready = new Promise<DevReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the module process did not start serving within ${readyTimeoutMs / 1000} s`));
    }, readyTimeoutMs);
    proc.on("message", (message) => {
      if (!isDevReadyMessage(message)) return options.onMessage?.(message);
      clearTimeout(timer);
      resolve(message);
    });
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(lastCause ?? `the module process exited (${describeExit(exit)})`));
    });
  });
  ready.catch(() => {});
  return {
    pid: proc.pid,
    ready,
    exited,
    noteLogLine(line) {
      lastCause = causeOfLogLine(line) ?? lastCause;
    },
    cause: () => lastCause,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function describeExit(exit: DevChildExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** `Error: message` from a pino line at level error or fatal. */
function causeOfLogLine(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { type?: string; message?: string } };
    if ((entry.level ?? 0) < 50) return undefined;
    const message = entry.err?.message?.split("\n")[0];
    return message ? `${entry.err?.type ?? "Error"}: ${message}` : entry.msg;
  } catch {
    return undefined;
  }
}
