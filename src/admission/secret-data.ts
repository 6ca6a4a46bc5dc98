import type { KubernetesObject } from "../k8s/index.ts";

type WithData = KubernetesObject & { data?: Record<string, string> };

/** Whether an admission kind is a core v1 Secret (whose `data` callbacks see decoded). */
export function isSecretKind(kind: { group: string; kind: string }): boolean {
  return kind.group === "" && kind.kind === "Secret";
}

/**
 * Decodes a Secret's base64 `data` values in place so callbacks see text. Values that are not text
 * (they would not survive a UTF-8 round trip) stay encoded; their keys are returned so they are not
 * encoded twice.
 */
export function decodeSecretData(secret: WithData): Set<string> {
  const skipped = new Set<string>();
  const data = secret.data;
  if (!data) return skipped;
  for (const key in data) {
    const encoded = data[key];
    if (typeof encoded !== "string") continue;
    const bytes = Buffer.from(encoded, "base64");
    const text = bytes.toString("utf8");
    if (Buffer.from(text, "utf8").equals(bytes) && bytes.toString("base64") === encoded) data[key] = text;
    else skipped.add(key);
  }
  return skipped;
}

/** Re-encodes what `decodeSecretData` decoded (and anything callbacks added), in place. */
export function encodeSecretData(secret: WithData, skipped: ReadonlySet<string>): void {
  const data = secret.data;
  if (!data) return;
  for (const key in data) {
    const value = data[key];
    if (typeof value === "string" && !skipped.has(key)) {
      data[key] = Buffer.from(value, "utf8").toString("base64");
    }
  }
}

/** The keys `decodeSecretData` leaves encoded (their values are not text), found without changing `secret`. */
export function undecodableKeys(secret: WithData): Set<string> {
  return decodeSecretData({ data: { ...secret.data } });
}
