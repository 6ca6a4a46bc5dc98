import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { type AdmissionRecord, RECORD_ENV, RECORD_MESSAGE, REDACTED } from "../../admission/index.ts";
import { SCENARIO_FILE } from "../../testing/scenario-file.ts";
import { followFile } from "./sources.ts";

/** A scenario of the `*.scenarios.yaml` format, as written (see src/testing/scenario-file.ts). */
interface RecordedScenario {
  name: string;
  webhook: "mutate" | "validate";
  request: Record<string, unknown>;
  expect: Record<string, unknown>;
}

/** An "admission record" log line, or undefined for any other line. */
export function admissionRecordOf(line: string): AdmissionRecord | undefined {
  if (!line.includes(RECORD_MESSAGE)) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<AdmissionRecord> & { msg?: string };
    return parsed.msg === RECORD_MESSAGE && parsed.request && parsed.response && parsed.webhook
      ? (parsed as AdmissionRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `/…/` would be read back as a regular expression: such a message becomes one that matches it exactly. */
function literalMessage(message: string): string {
  if (!/^\/.*\/[dgimsuy]*$/s.test(message)) return message;
  return `/^${message.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$/`;
}

/** Why a record cannot be replayed offline, or undefined when it can. */
export function unreplayable(record: AdmissionRecord): string | undefined {
  const { request } = record;
  if (request.subResource)
    return `a ${request.kind.kind}/${request.subResource} request (subresources are not replayed)`;
  if (request.operation === "CONNECT") return "a CONNECT request";
  if (!request.object && !request.oldObject) return "a request without an object";
  return undefined;
}

/**
 * The scenario that replays one webhook call: the request as the module saw it (redacted) and its
 * answer: allowed or denied with code and message, warnings, and for a mutation every value the
 * patch set (`patched`, pointer → value, `null` for removed) or `unchanged`.
 */
export function scenarioOf(record: AdmissionRecord, name: string): RecordedScenario {
  const { request, response, webhook } = record;
  const expect: Record<string, unknown> = { allowed: response.allowed };
  if (!response.allowed) {
    if (response.code !== undefined) expect.code = response.code;
    if (response.message) expect.message = literalMessage(response.message);
  }
  if (response.warnings?.length) expect.warnings = response.warnings.map(literalMessage);
  if (response.allowed && webhook === "mutate") {
    const checked = (response.patch ?? []).filter((op) => !op.redacted);
    if (!response.patch?.length) expect.unchanged = true;
    else if (checked.length > 0) {
      expect.patched = Object.fromEntries(
        checked.map((op) => [
          op.path.endsWith("/-")
            ? `${op.path.slice(0, -1)}${lengthAt(request.object ?? request.oldObject, op.path)}`
            : op.path,
          op.op === "remove" ? null : op.value,
        ]),
      );
    }
  }
  return {
    name,
    webhook,
    request: {
      operation: request.operation,
      ...(request.namespace ? { namespace: request.namespace } : {}),
      ...(request.object ? { object: request.object } : {}),
      ...(request.oldObject ? { oldObject: request.oldObject } : {}),
      ...(request.userInfo && Object.keys(request.userInfo).length ? { userInfo: request.userInfo } : {}),
      ...(request.dryRun ? { dryRun: true } : {}),
    },
    expect,
  };
}

/** The length of the array `path` (ending in `/-`) appends to: the index of the appended element. */
function lengthAt(object: unknown, path: string): number {
  let node = object;
  for (const segment of path.slice(1, -2).split("/")) {
    const key = segment.replaceAll("~1", "/").replaceAll("~0", "~");
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  }
  return Array.isArray(node) ? node.length : 0;
}

function scenarioName(index: number, record: AdmissionRecord): string {
  const { request, webhook } = record;
  const subject = request.object ?? request.oldObject;
  const name = request.name || subject?.metadata?.name || subject?.metadata?.generateName || "";
  const where = request.namespace ? `${request.namespace}/${name}` : name;
  return `${String(index).padStart(3, "0")} ${request.operation} ${request.kind.kind} ${where} (${webhook})`;
}

/**
 * Writes the admission records it is given into a `*.scenarios.yaml` file as they arrive (each one
 * appended, so the file is valid after every request and survives Ctrl-C). The file is created on
 * the first record; nothing is written when none arrives.
 */
export class ScenarioRecorder {
  readonly file: string;
  #recorded = 0;
  #skipped = 0;
  readonly #seen = new Set<string>();
  readonly #say: (line: string) => void;

  constructor(file: string, say: (line: string) => void) {
    this.file = file;
    this.#say = say;
    if (existsSync(file)) say(`${file} exists: it is replaced when the first request is recorded`);
    if (!SCENARIO_FILE.test(file))
      say(`${file} does not end in .scenarios.yaml: \`capstan test\` finds it only when given the file itself`);
  }

  get recorded(): number {
    return this.#recorded;
  }

  /** Records taken so far, the ones that could not be replayed included. */
  get seen(): number {
    return this.#seen.size;
  }

  /** Takes a log line; returns true when it was an admission record (recorded or skipped). */
  take(line: string): boolean {
    const record = admissionRecordOf(line);
    if (!record) return false;
    const key = `${record.webhook}/${record.request.uid}`;
    if (this.#seen.has(key)) return true;
    this.#seen.add(key);
    const why = unreplayable(record);
    if (why) {
      this.#skipped++;
      this.#say(`not recorded: ${why}`);
      return true;
    }
    const scenario = scenarioOf(record, scenarioName(this.#recorded + 1, record));
    if (this.#recorded === 0) {
      writeFileSync(
        this.file,
        `# Recorded by capstan from admission traffic (${new Date().toISOString()}); replay with \`capstan test ${this.file}\`.\n# Secret data, credential-named env values and the last-applied annotation are replaced by "${REDACTED}".\nscenarios:\n`,
      );
    }
    // YAML 1.1 quoting, so `yes`, `on` or a timestamp stay strings for any reader (kubectl's included).
    appendFileSync(this.file, stringify([scenario], { lineWidth: 0, version: "1.1" }));
    this.#recorded++;
    return true;
  }

  /** The closing line: how many scenarios went where, and how to replay them. */
  summary(): string {
    const skipped = this.#skipped ? ` (${this.#skipped} request(s) could not be recorded)` : "";
    return this.#recorded === 0
      ? `recorded no admission request${skipped}; nothing written to ${this.file}`
      : `recorded ${this.#recorded} scenario(s) in ${this.file}${skipped}; replay them with \`capstan test ${this.file}\``;
  }
}

/** What to say when decisions arrive but no records: the module process does not log them. */
export function recordingOffHint(source: "dev" | "pods"): string {
  return source === "dev"
    ? "the dev session logs admission decisions but not the requests: start it with `capstan dev --record FILE` to record"
    : `the module's pods log admission decisions but not the requests: set ${RECORD_ENV}=true in the module's env (package.json "capstan"/"pepr" env, then build and deploy, or \`kubectl set env deployment/<name> ${RECORD_ENV}=true\`) to record`;
}

export interface Recording {
  /** Reads what is left, stops following and says what was recorded. */
  stop(): Promise<void>;
}

/**
 * `capstan dev --record FILE`: follows the session's module log from its start and records every
 * admission record in it.
 */
export function recordFromLog(logFile: string, file: string, say: (line: string) => void): Recording {
  const recorder = new ScenarioRecorder(file, say);
  // The module processes inherit LOG_LEVEL; records are info lines.
  const level = process.env.LOG_LEVEL;
  if (level && ["warn", "error", "fatal", "silent"].includes(level))
    say(`LOG_LEVEL=${level} hides the admission records --record reads: run with LOG_LEVEL=info (or debug, trace)`);
  const abort = new AbortController();
  const following = followFile(logFile, (line) => void recorder.take(line), abort.signal, { fromStart: true });
  return {
    async stop() {
      abort.abort();
      await following;
      say(recorder.summary());
    },
  };
}
