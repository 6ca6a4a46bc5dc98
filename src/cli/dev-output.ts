import { hostname } from "node:os";

/**
 * How `capstan dev` prints. `pretty`: one line per event for a person at a terminal (time, level,
 * capability/binding, message, the other fields). `json`: one JSON object per line, as the module's
 * logger writes them (the session's own lines in the same shape). `auto`: pretty on a terminal, JSON
 * when the stream is piped or redirected, decided for stdout and stderr each.
 */
export const logFormats = ["auto", "pretty", "json"] as const;
export type LogFormat = (typeof logFormats)[number];

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

const levelNumbers: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface DevOutputOptions {
  readonly format: LogFormat;
  readonly stdout?: OutputStream;
  readonly stderr?: OutputStream;
  /** Colours in pretty lines on a terminal. Default: unless NO_COLOR is set. */
  readonly color?: boolean;
  readonly now?: () => number;
}

/** Where `capstan dev` prints: its own lines and a module process's stderr on stderr, the module's log on stdout. */
export interface DevOutput {
  /** One of the session's own lines (`capstan dev: …`). */
  session(line: string, level?: LogLevel): void;
  /** One line of a module process's log (JSON from its logger, or any text it printed). */
  module(line: string): void;
  /** One line a module process wrote to stderr (an uncaught error's stack, a warning of Node's). */
  moduleStderr(line: string): void;
}

export function devOutput(options: DevOutputOptions): DevOutput {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const now = options.now ?? Date.now;
  const pretty = (stream: OutputStream) =>
    options.format === "pretty" || (options.format === "auto" && stream.isTTY === true);
  const color = (stream: OutputStream) =>
    (options.color ?? !process.env.NO_COLOR) && stream.isTTY === true && pretty(stream);
  // The shape of the module's own lines (pino's), so one reader takes both.
  const own = (line: string, level: LogLevel, fields: Record<string, string>) =>
    JSON.stringify({
      level: levelNumbers[level],
      time: now(),
      pid: process.pid,
      hostname: hostname(),
      ...fields,
      msg: line,
    });
  const write = (stream: OutputStream, line: string) => stream.write(`${line}\n`);
  return {
    session(line, level = "info") {
      const json = own(line, level, { "capstan.component": "dev" });
      write(stderr, pretty(stderr) ? prettyLine(json, color(stderr)) : json);
    },
    module(line) {
      write(stdout, pretty(stdout) ? prettyLine(line, color(stdout)) : line);
    },
    moduleStderr(line) {
      // Raw text in pretty mode (a stack trace reads as printed); wrapped in JSON otherwise, so a
      // reader of JSON lines never meets a line that does not parse.
      write(stderr, pretty(stderr) ? line : own(line, "error", { stream: "module stderr" }));
    },
  };
}

/** Fields every line has, or that the line's head already shows. */
const shownElsewhere = new Set([
  "level",
  "time",
  "pid",
  "hostname",
  "msg",
  "capstan.capability",
  "capstan.binding",
  "v",
]);

const levelNames: readonly [number, string][] = [
  [60, "FATAL"],
  [50, "ERROR"],
  [40, "WARN"],
  [30, "INFO"],
  [20, "DEBUG"],
  [10, "TRACE"],
];

const colours: Readonly<Record<string, string>> = { FATAL: "31", ERROR: "31", WARN: "33", DEBUG: "90", TRACE: "90" };

function levelName(level: unknown): string {
  if (typeof level === "string") return level.toUpperCase();
  if (typeof level !== "number") return "INFO";
  return levelNames.find(([at]) => level >= at)?.[1] ?? "TRACE";
}

function clock(time: unknown): string {
  const date = typeof time === "number" || typeof time === "string" ? new Date(time) : new Date();
  return Number.isNaN(date.getTime()) ? "--:--:--.---" : date.toISOString().slice(11, 23);
}

/** A field's value on one line: bare when it is a plain word, JSON otherwise. */
function fieldValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value && typeof value === "object" && "message" in value && typeof value.message === "string") {
    const error = value as { type?: string; message: string; stack?: string };
    const at = error.stack?.split("\n").find((frame) => frame.trim().startsWith("at "));
    return JSON.stringify(`${error.type ?? "Error"}: ${error.message}${at ? ` (${at.trim()})` : ""}`);
  }
  return JSON.stringify(value) ?? String(value);
}

/**
 * One JSON log line as `<time> <LEVEL> <capability>/<binding>: <message> key=value …`; a line that is
 * not a JSON object is returned as it is. capstan's own field names lose their `capstan.` prefix.
 */
export function prettyLine(line: string, color = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (!record || typeof record !== "object" || Array.isArray(record)) return line;
  const level = levelName(record.level);
  const paint = (text: string) => (color && colours[level] ? `\u001b[${colours[level]}m${text}\u001b[0m` : text);
  const capability = record["capstan.capability"];
  const binding = record["capstan.binding"];
  const where =
    typeof capability === "string" ? `${capability}${typeof binding === "string" ? `/${binding}` : ""}:` : undefined;
  const fields = Object.entries(record)
    .filter(([key, value]) => !shownElsewhere.has(key) && value !== undefined)
    .filter(([key, value]) => !(key === "alias" && value === "no alias provided"))
    .filter(([key]) => !(key === "capstan.component" && record[key] === "dev"))
    .map(([key, value]) => `${key.replace(/^capstan\./, "")}=${fieldValue(value)}`);
  const message = typeof record.msg === "string" ? record.msg : "";
  return [clock(record.time), paint(level.padEnd(5)), where, message, ...fields]
    .filter((part) => part !== undefined && part !== "")
    .join(" ");
}
