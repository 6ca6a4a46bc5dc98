import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { jsonLines } from "../../../src/k8s/watch-stream.ts";

async function collect(chunks: (string | Buffer)[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of jsonLines(Readable.from(chunks))) lines.push(line);
  return lines;
}

describe("jsonLines", () => {
  it("joins lines split across chunks and skips blank lines", async () => {
    expect(await collect(['{"a":', '1}\n\n{"b"', ":2}\n", '{"c":3}'])).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it("keeps multi-byte characters that straddle chunk boundaries", async () => {
    const bytes = Buffer.from('{"v":"ünïcødé ✓"}\n');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await collect(chunks)).toEqual(['{"v":"ünïcødé ✓"}']);
  });
});
