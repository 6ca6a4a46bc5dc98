import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";

/**
 * Each `capstan dev` session keeps its files (bundle, module log) in `.capstan/dev/<pid>/`, so two
 * sessions in one folder (say, against two clusters) never write the same file. `session.json`
 * there says which process owns it.
 */
export interface DevSessionFiles {
  readonly dir: string;
  /** Relative to the module folder (the bundler's outDir). */
  readonly outDir: string;
  readonly logFile: string;
}

interface SessionRecord {
  readonly pid: number;
  readonly startedAt: string;
  readonly logFile: string;
}

const devRoot = (moduleDir: string) => join(resolve(moduleDir), ".capstan", "dev");

/** Creates this session's folder and removes those of sessions whose process is gone. */
export function prepareSessionFiles(moduleDir: string, startedAt: string): DevSessionFiles {
  const root = devRoot(moduleDir);
  for (const record of sessionRecords(root)) {
    if (!processAlive(record.pid)) rmSync(join(root, String(record.pid)), { recursive: true, force: true });
  }
  const dir = join(root, String(process.pid));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, "log.jsonl");
  const record: SessionRecord = { pid: process.pid, startedAt, logFile };
  writeFileSync(join(dir, "session.json"), `${JSON.stringify(record)}\n`);
  return { dir, outDir: join(".capstan", "dev", String(process.pid)), logFile };
}

/** The module log of the `capstan dev` session process `pid` runs in `moduleDir`. */
export function sessionLogFile(moduleDir: string, pid = process.pid): string {
  return join(devRoot(moduleDir), String(pid), "log.jsonl");
}

/**
 * The log of the live `capstan dev` session in `moduleDir` (the newest, if several run), for
 * `capstan monitor --dev`; a path that does not exist when no session runs.
 */
export function liveDevLogFile(moduleDir: string): string {
  const live = sessionRecords(devRoot(moduleDir))
    .filter((record) => processAlive(record.pid) && existsSync(record.logFile))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return live[0]?.logFile ?? join(devRoot(moduleDir), "log.jsonl");
}

function sessionRecords(root: string): SessionRecord[] {
  if (!existsSync(root)) return [];
  const records: SessionRecord[] = [];
  for (const entry of readdirSync(root)) {
    try {
      const record = JSON.parse(readFileSync(join(root, entry, "session.json"), "utf8")) as SessionRecord;
      if (String(record.pid) === entry) records.push(record);
    } catch {
      // not a session folder
    }
  }
  return records;
}

/** Whether a process of that id runs on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface FileTail {
  /** Reads what was appended since the last read, now. */
  readNow(): void;
  stop(): void;
}

const TAIL_INTERVAL_MS = 100;

/**
 * Follows a file processes append to, from its start, calling `onLine` with each complete line.
 * The module processes write their output to files, never to a pipe to the session: a pipe whose
 * reader died (the session was killed) makes the logger's exit flush retry forever.
 */
export function tailLines(file: string, onLine: (line: string) => void): FileTail {
  const fd = openSync(file, "a+");
  const lines = new LineReader();
  let offset = 0;
  const readNow = () => {
    offset = lines.readFrom(fd, offset, onLine);
  };
  const timer = setInterval(readNow, TAIL_INTERVAL_MS);
  return {
    readNow,
    stop() {
      clearInterval(timer);
      readNow();
      const rest = lines.takeRest();
      if (rest) onLine(rest);
      closeSync(fd);
    },
  };
}

/** Cuts what is appended to a file into complete lines, across reads and split UTF-8 characters. */
export class LineReader {
  readonly #decoder = new StringDecoder("utf8");
  readonly #buffer = Buffer.alloc(64 * 1024);
  #pending = "";

  /** Reads `fd` from `offset` to its end, calling `onLine` with each complete line; returns the new offset. */
  readFrom(fd: number, offset: number, onLine: (line: string) => void): number {
    let at = offset;
    for (;;) {
      const read = readSync(fd, this.#buffer, 0, this.#buffer.length, at);
      if (read <= 0) return at;
      at += read;
      const lines = (this.#pending + this.#decoder.write(this.#buffer.subarray(0, read))).split("\n");
      this.#pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
  }

  /** The text after the last newline, which is then forgotten. */
  takeRest(): string {
    const rest = this.#pending;
    this.#pending = "";
    return rest;
  }
}
