import { describe, expect, it } from "vitest";
import { parseLogLines } from "../../../src/fluent/logs.ts";

// The body of GET /api/v1/namespaces/demo/pods/web-7d9c/log as the API server returns it (text/plain).
const captured =
  "2026-11-26T06:00:01Z starting server on :8080\n" +
  "2026-11-26T06:00:02Z GET /healthz 200\r\n" +
  "\n" +
  "2026-11-26T06:00:03Z shutting down\n";

describe("parseLogLines", () => {
  it("prefixes each line with the pod, keeps blank lines inside, and drops the final newline", () => {
    expect(parseLogLines("web-7d9c", captured)).toEqual([
      "[pod/web-7d9c] 2026-11-26T06:00:01Z starting server on :8080",
      "[pod/web-7d9c] 2026-11-26T06:00:02Z GET /healthz 200",
      "[pod/web-7d9c] ",
      "[pod/web-7d9c] 2026-11-26T06:00:03Z shutting down",
    ]);
  });

  it("returns nothing for an empty log and keeps a last line without a newline", () => {
    expect(parseLogLines("p", "")).toEqual([]);
    expect(parseLogLines("p", "partial")).toEqual(["[pod/p] partial"]);
  });
});
