// --resume: what an earlier run left in --out. Its complete rows are kept, a row cut off by a kill is cut back,
// and their ids (and record indices, when sharded) come back so the run checks them against the input it
// skips, then appends after them. JSONL/TSV: complete lines; NPY: the rows its header counts, and as many lines
// of its ids sidecar (which may hold up to one batch more). Parquet: a closed file (parquet.ts never leaves an
// unclosed one at --out), whose rows the new file starts with.
import { open, stat, truncate } from "node:fs/promises";
import { InputError } from "../errors.js";
import { readLines } from "./lines.js";
import { idsPath, npyHeader } from "./output.js";
import { ParquetRows } from "./parquet.js";
import { splitIndex } from "./shard.js";

export interface Resume {
  /** Rows already there. */
  rows: number;
  /** Their ids as written: JSON-decoded for JSONL, TSV cells for TSV and the NPY sidecar. */
  ids: string[];
  /** Their record indices (sharded outputs store them). */
  indices: number[];
  /** TSV: the header line is there already. */
  header: boolean;
  /** NPY: the kept matrix (absent when the file holds no row: it is written afresh). */
  npy?: { width: number; headerSize: number };
  /** Parquet: the file, read again when its rows are copied into the new one. */
  parquet?: ParquetRows;
}

const fresh = (): Resume => ({ rows: 0, ids: [], indices: [], header: false });

/** Inspect and cut back `path` for --resume; a missing file means a fresh start. */
export async function resumeOutput(path: string, format: "jsonl" | "tsv" | "npy" | "parquet", sharded: boolean): Promise<Resume> {
  const size = await stat(path).then((s) => s.size, (e) => {
    if ((e as { code?: string }).code === "ENOENT") return -1;
    throw new InputError(`--resume: cannot read '${path}': ${(e as { code?: string }).code ?? (e as Error).message}`);
  });
  if (size < 0) return fresh();
  if (format === "parquet") return resumeParquet(path, sharded);
  return format === "npy" ? resumeNpy(path, size, sharded) : resumeText(path, format, sharded);
}

async function resumeParquet(path: string, sharded: boolean): Promise<Resume> {
  const file = await ParquetRows.open(path, "--resume");
  const { indices, ids } = await file.ids();
  // Every Parquet row has its record index; unsharded (one row per record, args.ts), row k is record k.
  const k = sharded ? -1 : indices.findIndex((index, k) => index !== k);
  if (k >= 0) {
    throw new InputError(`--resume: ${path}: row ${k + 1} is record ${indices[k]! + 1}: it was written with --shard (or --window, --per-token); resume it the same way`);
  }
  if (ids.length === 0) return fresh();
  return { ...fresh(), rows: ids.length, ids, indices: sharded ? indices : [], parquet: file };
}

function mismatch(path: string, line: number, sharded: boolean): InputError {
  return new InputError(`--resume: ${path}: line ${line} ${sharded ? "has no record index: it was written without --shard" : "has a record index: it was written with --shard"}; resume it the same way`);
}

async function resumeText(path: string, format: "jsonl" | "tsv", sharded: boolean): Promise<Resume> {
  const r = fresh();
  const { lines, partial } = readLines(path);
  let end = 0;
  for await (const line of lines) {
    end = line.end;
    if (format === "tsv" && line.number === 1) {
      if (line.text.startsWith("index\t") !== sharded) throw mismatch(path, 1, sharded);
      r.header = true;
      continue;
    }
    let text = line.text;
    if (sharded) {
      const s = splitIndex(text, format);
      if (!s) throw mismatch(path, line.number, sharded);
      r.indices.push(s.index);
      text = s.rest;
    } else if (splitIndex(text, format)) throw mismatch(path, line.number, sharded);
    r.ids.push(format === "tsv" ? text.split("\t", 1)[0]! : jsonId(text, path, line.number));
  }
  r.rows = r.ids.length;
  if (partial.bytes > 0) await truncate(path, end); // the row a kill cut off
  return r;
}

function jsonId(text: string, path: string, line: number): string {
  const m = /^\{"id":("(?:[^"\\]|\\.)*")/.exec(text);
  if (!m) throw new InputError(`--resume: ${path}: line ${line} is not a line germ writes ({"id":…); is --out the right file?`);
  return JSON.parse(m[1]!) as string;
}

async function resumeNpy(path: string, size: number, sharded: boolean): Promise<Resume> {
  const notOurs = (why: string) => new InputError(`--resume: ${path}: ${why}; is --out the NPY file an earlier 'germ embed --format npy --out' wrote?`);
  const fh = await open(path, "r");
  let head: Buffer;
  try {
    const pre = Buffer.alloc(10);
    await fh.read(pre, 0, 10, 0);
    if (size < 10 || pre.readUInt32BE(0) !== 0x934e554d || pre[4] !== 0x50 || pre[5] !== 0x59 || pre[6] !== 1) throw notOurs("not an NPY v1 file");
    head = Buffer.alloc(pre.readUInt16LE(8));
    await fh.read(head, 0, head.length, 10);
  } finally {
    await fh.close();
  }
  const shape = /'shape': \((\d+), (\d+)\)/.exec(head.toString("latin1"));
  if (!/'descr': '<f4'/.test(head.toString("latin1")) || !shape) throw notOurs("not a float32 matrix");
  const rows = Number(shape[1]), width = Number(shape[2]);
  const r = fresh();
  if (rows === 0) return r; // no row yet: start afresh
  const headerSize = 10 + head.length;
  if (headerSize !== npyHeader([Number.MAX_SAFE_INTEGER, width]).length) throw notOurs("its header has no room for more rows");
  const dataEnd = headerSize + rows * width * 4;
  if (size < dataEnd) throw notOurs(`its header counts ${rows} rows but the file is too short for them`);
  const side = idsPath(path);
  const { lines } = readLines(side);
  let end = 0;
  for await (const line of lines) {
    if (r.ids.length === rows) break;
    const s = sharded ? /^(\d+)\t(.*)$/.exec(line.text) : undefined;
    if (sharded ? !s : line.text.includes("\t")) throw mismatch(side, line.number, sharded);
    if (s) r.indices.push(Number(s[1]));
    r.ids.push(s ? s[2]! : line.text);
    end = line.end;
  }
  if (r.ids.length < rows) throw new InputError(`--resume: ${side} has ${r.ids.length} ids for the ${rows} rows of ${path}`);
  await truncate(path, dataEnd);
  await truncate(side, end);
  return { ...r, rows, npy: { width, headerSize } };
}
