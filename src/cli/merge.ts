// `germ merge OUT SHARD...`: the outputs of `--shard i/N` runs put back in input order, without their record
// indices, so OUT is byte for byte what one unsharded run writes. Each shard's rows come in increasing record
// order, so this is a streaming k-way merge: memory holds one row per shard (and a batch of NPY rows). Parquet
// rows always hold their record index (unsharded too), so OUT's rows are the plain run's, index column included;
// each Parquet shard is read a slice of rows at a time (parquet.ts).
import { open, type FileHandle } from "node:fs/promises";
import type { Writable } from "node:stream";
import { InputError } from "../errors.js";
import type { CliOptions } from "./args.js";
import { readLines, type Line } from "./lines.js";
import { idsPath } from "./output.js";
import { splitIndex } from "./shard.js";
import { ParquetRows, ParquetSink } from "./parquet.js";
import { NpyFile, openSink, type Sink, type TableRow } from "./sinks.js";

/** The next row of one shard: its record index, the text or id line to write, (NPY) its float32 bytes, (Parquet) its row. */
interface Row { index: number; text: string; bytes?: Uint8Array; table?: { row: TableRow; vector: Float32Array } }

interface ShardReader { name: string; next(): Promise<Row | undefined>; close(): Promise<void>; header?: string; width?: number }

/** Merge `opts.inputs` into `opts.out`; resolves to the number of rows (records × rows per record). */
export async function runMerge(opts: CliOptions, stdout: Writable, createdBy = "germ-js"): Promise<number> {
  const format = opts.format;
  const readers: ShardReader[] = [];
  try {
    for (const f of opts.inputs) {
      readers.push(format === "npy" ? await npyReader(f) : format === "parquet" ? await parquetReader(f) : await textReader(f, format));
    }
    const heads = await Promise.all(readers.map((r) => r.next()));
    if (format === "tsv") {
      const headers = new Set(readers.filter((r, k) => heads[k] !== undefined).map((r) => r.header));
      if (headers.size > 1) throw new InputError(`merge: the shards' TSV headers differ (${[...headers].map((h) => `'${h?.slice(0, 40)}'`).join(", ")}): outputs of different commands or models?`);
    }
    const widths = new Set(readers.filter((r, k) => heads[k] !== undefined).map((r) => r.width));
    if (widths.size > 1) throw new InputError(`merge: the shards' ${format === "npy" ? "NPY matrices" : "Parquet vectors"} have different widths (${[...widths].join(", ")})`);
    const width = [...widths][0];
    const out: Sink = format === "npy" ? await NpyFile.open(opts.out!)
      : format === "parquet" ? await ParquetSink.open(opts.out!, createdBy) : await openSink(opts.out, format, stdout);
    let n = 0, rows = 0;
    try {
      const header = readers.find((r, k) => heads[k] !== undefined)?.header;
      let text = format === "tsv" && header !== undefined ? header + "\n" : "";
      let ids: string[] = [], bytes: Uint8Array[] = [], table: TableRow[] = [], vectors: Float32Array[] = [];
      const flush = async () => {
        if (format === "npy") await (out as NpyFile).bytes(ids, concat(bytes), width!);
        else if (format === "parquet") await out.table!(table, vectors);
        else if (text) await out.text(text);
        text = ""; ids = []; bytes = []; table = []; vectors = [];
      };
      for (;;) {
        // The shard holding record n. Shards from --shard i/N take every N-th record, so it is found in one pass.
        let k = -1;
        for (let j = 0; j < heads.length; j++) {
          const h = heads[j];
          if (h === undefined) continue;
          if (h.index === n) {
            if (k >= 0) throw new InputError(`merge: record ${n + 1} is in both ${readers[k]!.name} and ${readers[j]!.name}: the same shard given twice?`);
            k = j;
          } else if (h.index < n) throw new InputError(`merge: ${readers[j]!.name}: record ${h.index + 1} comes after record ${n + 1}: not a shard output, or given twice?`);
        }
        if (k < 0) {
          const left = heads.flatMap((h, j) => (h ? [{ h, j }] : []));
          if (left.length === 0) break;
          const next = Math.min(...left.map((x) => x.h.index));
          throw new InputError(`merge: record ${n + 1} is in none of the shard files (the next is record ${next + 1}, in ${readers[left.find((x) => x.h.index === next)!.j]!.name}): a shard is missing or unfinished`);
        }
        // Every row of record n (several with --window or --per-token) comes from that one shard, in a run.
        while (heads[k]?.index === n) {
          const row = heads[k]!;
          if (format === "npy") { ids.push(row.text); bytes.push(row.bytes!); }
          else if (row.table) { table.push(row.table.row); vectors.push(row.table.vector); }
          else text += row.text + "\n";
          heads[k] = await readers[k]!.next();
          rows++;
          if (ids.length >= 1024 || table.length >= 1024 || text.length >= 1 << 20) await flush();
        }
        n++;
      }
      await flush();
    } finally {
      await out.close();
    }
    return rows;
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function noIndex(name: string, line: number): InputError {
  return new InputError(`merge: ${name}: line ${line} has no record index; merge takes the outputs of --shard runs`);
}

async function textReader(path: string, format: "jsonl" | "tsv"): Promise<ShardReader> {
  const { lines, partial } = readLines(path);
  const reader: ShardReader = {
    name: path,
    async next() {
      const r = await lines.next();
      if (r.done) {
        if (partial.bytes > 0) throw new InputError(`merge: ${path} ends in an unfinished line: resume that shard first (--resume)`);
        return undefined;
      }
      return parse(r.value);
    },
    async close() { await lines.return(undefined); },
  };
  const parse = (l: Line): Row => {
    const s = splitIndex(l.text, format);
    if (!s) throw noIndex(path, l.number);
    return { index: s.index, text: s.rest };
  };
  if (format === "tsv") {
    const first = await lines.next();
    if (!first.done) {
      if (!first.value.text.startsWith("index\t")) throw noIndex(path, 1);
      reader.header = first.value.text.slice("index\t".length);
    }
  }
  return reader;
}

async function npyReader(path: string): Promise<ShardReader> {
  const fh: FileHandle = await open(path, "r").catch((e) => { throw new InputError(`merge: cannot read '${path}': ${(e as { code?: string }).code}`); });
  try {
    const pre = Buffer.alloc(10);
    await fh.read(pre, 0, 10, 0);
    if (pre.readUInt32BE(0) !== 0x934e554d || pre[4] !== 0x50 || pre[5] !== 0x59 || pre[6] !== 1) throw new InputError(`merge: ${path} is not an NPY v1 file`);
    const head = Buffer.alloc(pre.readUInt16LE(8));
    await fh.read(head, 0, head.length, 10);
    const text = head.toString("latin1");
    const shape = /'shape': \((\d+), (\d+)\)/.exec(text);
    if (!/'descr': '<f4'/.test(text) || /'fortran_order': True/.test(text) || !shape) throw new InputError(`merge: ${path} is not a float32 [rows, width] matrix`);
    const rows = Number(shape[1]), width = Number(shape[2]);
    const side = idsPath(path);
    const { lines } = readLines(side);
    let row = 0, at = 10 + head.length;
    const rowBytes = width * 4;
    let buf = Buffer.alloc(0), bufAt = 0;
    return {
      name: path,
      width,
      async next() {
        if (row === rows) return undefined;
        const l = await lines.next();
        if (l.done) throw new InputError(`merge: ${side} has ${row} ids for the ${rows} rows of ${path}`);
        const m = /^(\d+)\t(.*)$/.exec(l.value.text);
        if (!m) throw noIndex(side, l.value.number);
        if (bufAt + rowBytes > buf.length) {
          buf = Buffer.alloc(Math.max(rowBytes, Math.min(1 << 20, (rows - row) * rowBytes)));
          const { bytesRead } = await fh.read(buf, 0, buf.length, at);
          if (bytesRead < rowBytes) throw new InputError(`merge: ${path} is shorter than its header's ${rows} rows`);
          buf = buf.subarray(0, bytesRead - (bytesRead % rowBytes));
          at += buf.length;
          bufAt = 0;
        }
        const bytes = buf.subarray(bufAt, bufAt + rowBytes);
        bufAt += rowBytes;
        row++;
        return { index: Number(m[1]), text: m[2]!, bytes };
      },
      async close() { await lines.return(undefined); await fh.close(); },
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}


/** A Parquet shard (parquet.ts: read a slice at a time); its width is its first vector's. */
async function parquetReader(path: string): Promise<ShardReader> {
  const slices = (await ParquetRows.open(path, "merge")).slices();
  let slice: { rows: TableRow[]; vectors: Float32Array[] } = { rows: [], vectors: [] }, at = 0;
  const reader: ShardReader = {
    name: path,
    async next() {
      while (at === slice.rows.length) {
        const r = await slices.next();
        if (r.done) return undefined;
        slice = r.value;
        at = 0;
      }
      const row = slice.rows[at]!, vector = slice.vectors[at++]!;
      reader.width ??= vector.length;
      return { index: row.index, text: row.id, table: { row, vector } };
    },
    async close() { await slices.return(undefined); },
  };
  return reader;
}
