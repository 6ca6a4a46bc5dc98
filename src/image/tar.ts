// Deterministic tar archives for image layers: entries sorted by path, every parent directory
// present, fixed mtime (0), numeric owners only, no user or group names. Paths that do not fit
// ustar's name/prefix fields get a PAX header (`path`, `linkpath`), as GNU tar and containerd read.

export type LayerEntry =
  | {
      readonly type: "file";
      readonly path: string;
      readonly data: Buffer;
      readonly mode?: number;
      readonly uid?: number;
    }
  | { readonly type: "dir"; readonly path: string; readonly mode?: number; readonly uid?: number }
  | { readonly type: "symlink"; readonly path: string; readonly target: string };

const BLOCK = 512;

function normalise(path: string): string {
  const clean = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (!clean || clean.split("/").some((part) => part === ".." || part === "." || part === "")) {
    throw new Error(`Invalid layer path "${path}": use an absolute path without . or .. segments`);
  }
  return clean;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function writeString(header: Buffer, offset: number, width: number, value: string): void {
  header.write(value, offset, Math.min(width, Buffer.byteLength(value)), "utf8");
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const size = Buffer.byteLength(body);
  let length = size + 1;
  while (String(length).length + size !== length) length = String(length).length + size;
  return `${length}${body}`;
}

/** Splits a path into ustar prefix and name, or undefined when it does not fit. */
function ustarName(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  for (let cut = path.indexOf("/"); cut >= 0; cut = path.indexOf("/", cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  return undefined;
}

interface HeaderFields {
  readonly path: string;
  readonly type: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly linkname?: string;
}

function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  const split = ustarName(fields.path) ?? { prefix: "", name: fields.path.slice(0, 99) };
  writeString(block, 0, 100, split.name);
  writeString(block, 100, 8, octal(fields.mode, 8));
  writeString(block, 108, 8, octal(fields.uid, 8));
  writeString(block, 116, 8, octal(fields.uid, 8));
  writeString(block, 124, 12, octal(fields.size, 12));
  writeString(block, 136, 12, octal(0, 12));
  block.fill(0x20, 148, 156);
  writeString(block, 156, 1, fields.type);
  if (fields.linkname) writeString(block, 157, 100, fields.linkname);
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeString(block, 345, 155, split.prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

function entryBlocks(entry: LayerEntry, path: string): Buffer[] {
  const linkname = entry.type === "symlink" ? entry.target : undefined;
  const pax: string[] = [];
  if (!ustarName(entry.type === "dir" ? `${path}/` : path))
    pax.push(paxRecord("path", entry.type === "dir" ? `${path}/` : path));
  if (linkname && Buffer.byteLength(linkname) > 100) pax.push(paxRecord("linkpath", linkname));
  const blocks: Buffer[] = [];
  if (pax.length) {
    const body = Buffer.from(pax.join(""));
    blocks.push(header({ path: "PaxHeaders/entry", type: "x", size: body.length, mode: 0o644, uid: 0 }), body);
    blocks.push(padding(body.length));
  }
  switch (entry.type) {
    case "dir":
      blocks.push(header({ path: `${path}/`, type: "5", size: 0, mode: entry.mode ?? 0o755, uid: entry.uid ?? 0 }));
      break;
    case "symlink":
      blocks.push(
        header({ path, type: "2", size: 0, mode: 0o777, uid: 0, linkname: (linkname as string).slice(0, 100) }),
      );
      break;
    case "file":
      blocks.push(
        header({ path, type: "0", size: entry.data.length, mode: entry.mode ?? 0o644, uid: entry.uid ?? 0 }),
        entry.data,
        padding(entry.data.length),
      );
      break;
  }
  return blocks;
}

/**
 * A tar of `entries` (absolute image paths). Missing parent directories are added (0755, root);
 * a path given twice is an error, so two inputs can never silently shadow each other.
 */
export function deterministicTar(entries: readonly LayerEntry[]): Buffer {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const path = normalise(entry.path);
    const existing = byPath.get(path);
    if (existing && !(existing.type === "dir" && entry.type === "dir")) {
      throw new Error(`Two layer entries for /${path}: each image path must come from one input`);
    }
    byPath.set(path, entry);
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (!byPath.has(parent)) byPath.set(parent, { type: "dir", path: parent });
    }
  }
  const blocks: Buffer[] = [];
  for (const path of [...byPath.keys()].sort(comparePaths)) {
    blocks.push(...entryBlocks(byPath.get(path) as LayerEntry, path));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

/** Byte order of UTF-8 paths, so the order does not depend on a locale. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
