import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleModule, assemblePayload, chunkPayload, sha256Hex } from "../../../src/contract/module-chunks.ts";

const asFiles = (chunks: readonly { key: string; data: Buffer }[]) =>
  new Map(chunks.map((chunk) => [chunk.key, chunk.data]));

describe("module chunks", () => {
  const content = randomBytes(50_000);

  it("cuts gzipped content into chunks no larger than the limit, and joins them back", () => {
    const payload = chunkPayload("code", content, 10_000);
    expect(payload.chunks.length).toBeGreaterThan(4);
    expect(payload.chunks.every((chunk) => chunk.data.length <= 10_000)).toBe(true);
    expect(payload.chunks[0]?.key).toBe(`code-000-of-${String(payload.chunks.length).padStart(3, "0")}`);
    expect(payload.sha256).toBe(sha256Hex(content));
    expect(assemblePayload("code", asFiles([...payload.chunks].reverse()), payload.sha256).equals(content)).toBe(true);
  });

  it("is deterministic, so the same code gives the same Secrets", () => {
    expect(
      chunkPayload("code", content).chunks[0]?.data.equals(chunkPayload("code", content).chunks[0]?.data as Buffer),
    ).toBe(true);
  });

  it("names missing chunks", () => {
    const payload = chunkPayload("code", content, 10_000);
    const files = asFiles(payload.chunks);
    files.delete(payload.chunks[1]?.key as string);
    expect(() => assemblePayload("code", files, payload.sha256)).toThrow(/chunks 1 of \d+ are missing/);
  });

  it("refuses code whose hash differs", () => {
    const payload = chunkPayload("code", content);
    expect(() => assemblePayload("code", asFiles(payload.chunks), "0".repeat(64))).toThrow(/refusing to run it/);
  });

  it("refuses chunks of two builds mixed together", () => {
    const one = chunkPayload("code", content, 10_000);
    const other = chunkPayload("code", randomBytes(100), 10_000);
    expect(() => assemblePayload("code", asFiles([...one.chunks, ...other.chunks]), one.sha256)).toThrow(
      /mixes two builds/,
    );
  });

  it("reassembles code and source map from a projected-volume folder into the work folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-chunks-"));
    const mounted = join(dir, "..2026_11_26");
    mkdirSync(mounted);
    const code = chunkPayload("code", "export const x = 1;\n", 8);
    const map = chunkPayload("map", '{"version":3}', 8);
    for (const chunk of [...code.chunks, ...map.chunks]) {
      writeFileSync(join(mounted, chunk.key), chunk.data);
      symlinkSync(join(mounted, chunk.key), join(dir, chunk.key));
    }
    symlinkSync(mounted, join(dir, "..data"));
    const assembled = await assembleModule(dir, join(dir, "work"), code.sha256, map.sha256);
    expect(await readFile(assembled.entry, "utf8")).toBe("export const x = 1;\n");
    expect(await readFile(`${assembled.entry}.map`, "utf8")).toBe('{"version":3}');
    await expect(assembleModule(dir, join(dir, "work"), "not-a-hash")).rejects.toThrow(/64 hex digits/);
  });
});
