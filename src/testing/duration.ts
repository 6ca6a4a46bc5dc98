const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from a number (ms) or text such as `500ms`, `2s`, `1.5m`, `1h`, `1m30s`. */
export function durationMs(value: number | string): number {
  if (typeof value === "number") {
    if (!(Number.isFinite(value) && value >= 0))
      throw new Error(`a duration must be a non-negative number of ms (got ${value})`);
    return value;
  }
  const text = value.trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) {
    throw new Error(`cannot read the duration ${JSON.stringify(value)}: write it like 500ms, 2s, 1m30s or 1h`);
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (units[part[2] ?? "ms"] ?? 1), 0);
}
