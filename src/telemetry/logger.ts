import { hostname } from "node:os";
import { type Logger as PinoLogger, pino } from "pino";

export type Logger = PinoLogger;

/** Lines wait up to this many characters or milliseconds, then go out in one write. */
const BATCH_CHARS = 16_384;
const BATCH_MS = 100;

/**
 * stdout, written in batches: the admission server logs up to seven lines per request, and a write
 * per line (with pino's asynchronous default, also a thread-pool hand-off and a second wake-up) cost
 * the webhook more time than deciding the request. Lines are kept in an array and joined once per
 * batch: sonic-boom's own buffering (`minLength`) measures the whole waiting text again on every
 * line (docs/adr/0011-admission-path-costs.md). sonic-boom still does the writing (partial writes,
 * EAGAIN, EPIPE). `fatal` (pino calls `flushSync`) and process exit write what waits at once.
 */
class BatchedStdout {
  readonly #out = pino.destination({ dest: 1, sync: true });
  #lines: string[] = [];
  #chars = 0;
  #timer: NodeJS.Timeout | undefined;

  write(line: string): boolean {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= BATCH_CHARS) this.#writeWaiting();
    else this.#timer ??= setTimeout(() => this.#writeWaiting(), BATCH_MS).unref();
    return true;
  }

  flush(callback?: (error?: Error) => void): void {
    this.#writeWaiting();
    this.#out.flush(callback);
  }

  flushSync(): void {
    this.#writeWaiting();
    this.#out.flushSync();
  }

  #writeWaiting(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines.length === 0) return;
    const text = this.#lines.length === 1 ? (this.#lines[0] as string) : this.#lines.join("");
    this.#lines = [];
    this.#chars = 0;
    this.#out.write(text);
  }
}

const stdout = new BatchedStdout();
process.once("exit", () => {
  try {
    stdout.flushSync();
  } catch {
    // stdout already closed: nothing more can be written.
  }
});

/**
 * The process logger: JSON lines on stdout, level from LOG_LEVEL (default info), with pino's usual
 * `pid` and `hostname` (Pepr's lines carry both, and module tests match on them). Fields that may
 * hold secrets or Store values are redacted wherever they appear.
 */
export const Log: Logger = pino(
  {
    level: process.env.LOG_LEVEL ?? "info",
    base: { pid: process.pid, hostname: hostname() },
    timestamp: process.env.PINO_TIME_STAMP === "iso" ? pino.stdTimeFunctions.isoTime : pino.stdTimeFunctions.epochTime,
    redact: {
      paths: ["*.data", "*.stringData", "*.token", "*.authorization", "*.value", "*.values", "headers.authorization"],
      censor: "[redacted]",
    },
  },
  stdout,
);

/**
 * The names of the fields capstan adds to the loggers it hands module code and to its own
 * controller and schedule lines. They carry a `capstan.` prefix so that a module's own fields
 * (`schedule`, `capability`, `component`, …) never share a name with one of capstan's: not in the
 * same line, where JSON readers would keep only one of the two, and not in the same log stream,
 * where a search for `"schedule":"nightly"` must find the module's lines only. `alias` stays as it
 * is: it is Pepr's own field on the loggers callbacks receive.
 */
export const LogField = {
  component: "capstan.component",
  capability: "capstan.capability",
  binding: "capstan.binding",
  requestId: "capstan.requestId",
  schedule: "capstan.schedule",
  identity: "capstan.identity",
  queue: "capstan.queue",
} as const;

/** The fields of the logger a binding's callbacks receive: capstan's names for it, and Pepr's `alias`. */
export function bindingLogFields(binding: {
  readonly capability: string;
  readonly name: string;
  readonly alias?: string;
}): Record<string, string> {
  return {
    [LogField.capability]: binding.capability,
    [LogField.binding]: binding.name,
    alias: binding.alias ?? "no alias provided",
  };
}
