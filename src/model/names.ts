/**
 * Pepr's `sanitizeResourceName`: lower-case, each run of characters outside [a-z0-9-] becomes "-",
 * cut to 63 characters, then non-alphanumerics stripped from both ends.
 */
export function sanitizeResourceName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 63)
    .replace(/^[^a-z0-9]+/, "")
    .replace(/[^a-z0-9]+$/, "");
}
