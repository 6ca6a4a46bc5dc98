import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

/**
 * Module code ships gzipped and cut into chunks small enough for one Secret each (a Secret's data is
 * capped at 1 MiB), so a module has no size ceiling. The runtime joins the chunks from the mounted
 * volume, gunzips them and refuses code whose SHA-256 differs from the one in its environment.
 */

/** The bundle's file name, in `dist/` and in the runtime's work folder. */
export const MODULE_FILE = "module.mjs";

/** Largest chunk, in bytes: well under the 1 MiB Secret limit, leaving room for the object around it. */
export const MAX_CHUNK_BYTES = 900 * 1024;

/** One file of a payload: `<payload>-<index>-of-<count>`, e.g. `code-000-of-003`. */
export interface ModuleChunk {
  readonly key: string;
  readonly data: Buffer;
}

export interface ChunkedPayload {
  /** Hex SHA-256 of the uncompressed content. */
  readonly sha256: string;
  readonly chunks: readonly ModuleChunk[];
}

export function sha256Hex(content: Buffer | string): string {
  return createHash("sha256").update(content).digest("hex");
}

function chunkKey(payload: string, index: number, count: number): string {
  const width = 3;
  return `${payload}-${String(index).padStart(width, "0")}-of-${String(count).padStart(width, "0")}`;
}

/** Gzips `content` and cuts it into chunks of at most `maxChunkBytes`. Deterministic for equal input. */
export function chunkPayload(
  payload: string,
  content: Buffer | string,
  maxChunkBytes = MAX_CHUNK_BYTES,
): ChunkedPayload {
  if (!/^[a-z]+$/.test(payload)) throw new Error(`Payload name "${payload}" must be lower-case letters`);
  const raw = typeof content === "string" ? Buffer.from(content) : content;
  const zipped = gzipSync(raw, { level: 9 });
  const count = Math.max(1, Math.ceil(zipped.length / maxChunkBytes));
  const chunks: ModuleChunk[] = [];
  for (let index = 0; index < count; index++) {
    const data = zipped.subarray(index * maxChunkBytes, (index + 1) * maxChunkBytes);
    chunks.push({ key: chunkKey(payload, index, count), data });
  }
  return { sha256: sha256Hex(raw), chunks };
}

/** Joins chunk files (name → content) of `payload`, checks completeness and the hash, returns the content. */
export function assemblePayload(payload: string, files: ReadonlyMap<string, Buffer>, expectedSha256: string): Buffer {
  const pattern = new RegExp(`^${payload}-(\\d+)-of-(\\d+)$`);
  const parts = new Map<number, Buffer>();
  let count = -1;
  for (const [name, data] of files) {
    const match = pattern.exec(name);
    if (!match) continue;
    const total = Number(match[2]);
    if (count !== -1 && total !== count) {
      throw new Error(`Module chunks disagree on their count (${count} and ${total}): the volume mixes two builds`);
    }
    count = total;
    parts.set(Number(match[1]), data);
  }
  if (count === -1) throw new Error(`No "${payload}-*" module chunks found`);
  const missing: number[] = [];
  for (let index = 0; index < count; index++) if (!parts.has(index)) missing.push(index);
  if (missing.length > 0) {
    throw new Error(
      `Module ${payload} chunks ${missing.join(", ")} of ${count} are missing: is every module Secret applied?`,
    );
  }
  const zipped = Buffer.concat([...Array(count).keys()].map((index) => parts.get(index) as Buffer));
  const content = gunzipSync(zipped);
  const actual = sha256Hex(content);
  if (actual !== expectedSha256.toLowerCase()) {
    throw new Error(`Module ${payload} SHA-256 is ${actual}, expected ${expectedSha256}: refusing to run it`);
  }
  return content;
}

/** Reads every regular chunk file in `dir` (a projected Secret volume also holds `..data` links). */
export async function readChunkFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir)) {
    if (name.startsWith("..") || !/-\d+-of-\d+$/.test(name)) continue;
    files.set(name, await readFile(join(dir, name)));
  }
  return files;
}

export interface AssembledModule {
  /** Absolute path of the reassembled ES module; import it with `pathToFileURL`. */
  readonly entry: string;
  readonly sha256: string;
}

/**
 * What the runtime calls at start-up: reassembles the module code (and its source map when shipped)
 * from `chunkDir`, verifies the SHA-256, and writes `module.mjs` (+ `module.mjs.map`, the name the
 * bundle's `sourceMappingURL` comment gives) into `workDir`.
 */
export async function assembleModule(
  chunkDir: string,
  workDir: string,
  expectedSha256: string,
  expectedMapSha256?: string,
): Promise<AssembledModule> {
  if (!/^[0-9a-f]{64}$/i.test(expectedSha256)) {
    throw new Error(`Module SHA-256 "${expectedSha256}" is not 64 hex digits`);
  }
  const files = await readChunkFiles(chunkDir);
  const code = assemblePayload("code", files, expectedSha256);
  await mkdir(workDir, { recursive: true });
  const entry = join(workDir, MODULE_FILE);
  if (expectedMapSha256) {
    await writeAtomically(`${entry}.map`, assemblePayload("map", files, expectedMapSha256));
  }
  await writeAtomically(entry, code);
  return { entry, sha256: expectedSha256.toLowerCase() };
}

async function writeAtomically(path: string, content: Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
