// Pepr's `PeprUtils`: base64 helpers for the `data` maps of Secrets and ConfigMaps.

/** Matches text made only of printable ASCII and whitespace. */
export const isAscii: RegExp = /^[\s\x20-\x7E]*$/;

export function base64Encode(data: string): string {
  return Buffer.from(data, "utf8").toString("base64");
}

export function base64Decode(data: string): string {
  return Buffer.from(data, "base64").toString("utf8");
}

/** Encodes every value of `obj.data` in place, except the keys in `skip`. */
export function convertToBase64Map(obj: { data?: Record<string, string> }, skip: string[]): void {
  const data = obj.data ?? {};
  obj.data = data;
  for (const [key, value] of Object.entries(data)) if (!skip.includes(key)) data[key] = base64Encode(value);
}

/**
 * Decodes every value of `obj.data` in place when the result is ASCII text; returns the keys left
 * encoded (binary or non-ASCII values), to pass back to `convertToBase64Map` as `skip`.
 */
export function convertFromBase64Map(obj: { data?: Record<string, string> }): string[] {
  const data = obj.data ?? {};
  obj.data = data;
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined || value === null) {
      data[key] = "";
      continue;
    }
    const decoded = base64Decode(value);
    if (isAscii.test(decoded)) data[key] = decoded;
    else skipped.push(key);
  }
  return skipped;
}
