/** One line of a capstan process's JSON log, as `capstan monitor` reads it. */
interface LogRecord {
  readonly msg?: string;
  readonly time?: number | string;
  readonly level?: number;
  /** The binding of a controller action (`capstan.capability`/`capstan.binding` in capstan's lines). */
  readonly "capstan.capability"?: string;
  readonly "capstan.binding"?: string;
  readonly webhook?: string;
  readonly action?: string;
  readonly phase?: string;
  readonly operation?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly allowed?: boolean;
  readonly patched?: boolean;
  readonly patch?: unknown;
  readonly status?: { readonly code?: number; readonly message?: string };
  readonly result?: string;
  readonly ms?: number;
  /** An audit result's rule and message. */
  readonly rule?: string;
  readonly message?: string;
}

/**
 * Turns one log line into a readable monitor line: admission decisions (allowed, denied, mutated
 * with the patch), controller actions and changed audit results. Other lines (and lines that are not JSON) give undefined.
 */
export function formatMonitorLine(line: string, source = ""): string | undefined {
  let record: LogRecord;
  try {
    record = JSON.parse(line) as LogRecord;
  } catch {
    return undefined;
  }
  if (!record || typeof record !== "object") return undefined;
  const when = clock(record.time);
  const where = `${record.kind ?? "?"} ${record.namespace ? `${record.namespace}/` : ""}${record.name ?? ""}`;
  const from = source ? ` [${source}]` : "";
  const took = record.ms === undefined ? "" : ` ${record.ms} ms`;
  if (record.msg === "admission decision") {
    const verdict = !record.allowed ? "DENIED " : record.patched ? "MUTATED" : "ALLOWED";
    const reason = !record.allowed && record.status?.message ? `: ${record.status.message}` : "";
    const patch = record.patched && record.patch !== undefined ? `\n    patch ${JSON.stringify(record.patch)}` : "";
    return `${when} ${verdict} ${record.operation ?? ""} ${where}${reason}${took}${from}${patch}`;
  }
  if (record.msg === "controller action") {
    const outcome = (record.result ?? "ok").toUpperCase().padEnd(7);
    const capability = record["capstan.capability"];
    const binding = capability ? ` ${capability}/${record["capstan.binding"] ?? ""}` : "";
    return `${when} ${outcome} ${record.action ?? ""}${record.phase ? ` ${record.phase}` : ""} ${where}${binding}${took}${from}`;
  }
  if (record.msg === "audit result") {
    const outcome = `AUDIT ${(record.result ?? "?").toUpperCase()}`.padEnd(10);
    const message = record.message ? `: ${record.message}` : "";
    return `${when} ${outcome} ${where} ${record.rule ?? ""}${message}${from}`;
  }
  return undefined;
}

function clock(time: number | string | undefined): string {
  const date = time === undefined ? new Date() : new Date(time);
  return Number.isNaN(date.getTime()) ? "--:--:--" : date.toISOString().slice(11, 19);
}
