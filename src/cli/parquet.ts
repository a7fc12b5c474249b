// `embed --out x.parquet`: one row per sequence with its record index, id, start/end (bp) and the vector as a
// Parquet LIST<FLOAT> column (pandas: np.stack(df.embedding)), written with hyparquet-writer (pure JS, no native
// build), loaded only then. Rows are buffered into row groups of ~32 MB; close() writes the last group and the
// footer. A Parquet file is readable only once closed, so rows go to `x.parquet.partial`, renamed to x.parquet at
// close (a finished or Ctrl-C'd run): a killed run never leaves a broken x.parquet. --resume reads the rows a closed
// file holds (hyparquet) and, once a new row comes, copies them into the new file a slice at a time before it.
import { rename, rm } from "node:fs/promises";
import { InputError } from "../errors.js";
import type { Sink, TableRow } from "./sink-types.js";

/** The part of hyparquet-writer used here. */
interface HyparquetWriter {
  ParquetWriter: new (o: { writer: unknown; schema: object[]; createdBy?: string }) => {
    write(o: { columnData: { name: string; data: unknown[] }[]; rowGroupSize?: number }): void | Promise<void>;
    finish(): void;
  };
  fileWriter(filename: string): unknown;
}
type Writer = InstanceType<HyparquetWriter["ParquetWriter"]>;

/** The part of hyparquet (the reader hyparquet-writer depends on) used here. */
interface Hyparquet {
  asyncBufferFromFile(path: string): Promise<unknown>;
  parquetMetadataAsync(file: unknown): Promise<Metadata>;
  parquetReadObjects(o: { file: unknown; metadata: Metadata; columns?: string[]; rowStart: number; rowEnd: number; useOffsetIndex?: boolean }): Promise<Record<string, unknown>[]>;
}
interface Metadata { schema: { name: string }[]; row_groups: { num_rows: bigint }[] }

export const PARQUET_PACKAGE = "hyparquet-writer";

async function loadPackage<T>(name: string): Promise<T> {
  try {
    return await import(name) as T; // not a literal: the package is optional until Parquet is asked for
  } catch {
    throw new InputError(`Parquet needs the '${name}' package (npm install ${name}); or write --format npy or jsonl`);
  }
}

/** Row group size in bytes of vectors (tests lower it to get several groups from a small input). */
export const parquetSettings = { groupBytes: 32 << 20, sliceRows: 1024 };

/** The file a sink writes until close() renames it to its --out. */
export const partialPath = (path: string) => `${path}.partial`;

/**
 * A closed Parquet file germ wrote, for --resume and `germ merge`: its row count, each row's record index and
 * id, and its rows with their vectors a slice at a time (`sliceRows`, through the offset index: memory stays
 * small whatever the file's size). `what` starts its error messages.
 */
export class ParquetRows {
  private constructor(readonly path: string, readonly rows: number, private readonly lib: Hyparquet, private readonly file: unknown, private readonly meta: Metadata) {}

  static async open(path: string, what: string): Promise<ParquetRows> {
    const lib = await loadPackage<Hyparquet>("hyparquet");
    const file = await lib.asyncBufferFromFile(path).catch((e) => {
      throw new InputError(`${what}: cannot read '${path}': ${(e as { code?: string }).code ?? (e as Error).message}`);
    });
    let meta: Metadata;
    try {
      meta = await lib.parquetMetadataAsync(file);
    } catch (e) {
      throw new InputError(`${what}: ${path} is not a readable Parquet file (${(e as Error).message}); a run that was killed leaves its rows in ${partialPath(path)}, without the footer that makes them readable, so it cannot go on: run it again`);
    }
    const names = meta.schema.map((e) => e.name).join(",");
    if (names !== SCHEMA.map((e) => (e as { name: string }).name).join(",")) {
      throw new InputError(`${what}: ${path} has the columns ${names.split(",").slice(1).join(", ")}, not those 'germ embed --out x.parquet' writes`);
    }
    return new ParquetRows(path, meta.row_groups.reduce((a, g) => a + Number(g.num_rows), 0), lib, file, meta);
  }

  /** Rows [start, end): hyparquet's objects. */
  private read(rowStart: number, rowEnd: number, columns?: string[]) {
    return this.lib.parquetReadObjects({ file: this.file, metadata: this.meta, columns, rowStart, rowEnd, useOffsetIndex: true });
  }

  /** Every row's record index and id (no vectors), a row group at a time. */
  async ids(): Promise<{ indices: number[]; ids: string[] }> {
    const indices: number[] = [], ids: string[] = [];
    for (let at = 0, g = 0; g < this.meta.row_groups.length; g++) {
      const end = at + Number(this.meta.row_groups[g]!.num_rows);
      for (const r of await this.read(at, end, ["index", "id"])) { indices.push(Number(r.index)); ids.push(r.id as string); }
      at = end;
    }
    return { indices, ids };
  }

  /** The rows with their vectors, `sliceRows` at a time. */
  async *slices(): AsyncGenerator<{ rows: TableRow[]; vectors: Float32Array[] }> {
    for (let at = 0; at < this.rows; at += parquetSettings.sliceRows) {
      const objs = await this.read(at, Math.min(this.rows, at + parquetSettings.sliceRows));
      yield {
        rows: objs.map((r) => ({ index: Number(r.index), id: r.id as string, start: Number(r.start), end: Number(r.end) })),
        vectors: objs.map((r) => Float32Array.from(r.embedding as number[])),
      };
    }
  }
}

export class ParquetSink implements Sink {
  readonly files: string[];
  private rows: TableRow[] = [];
  private vectors: Float32Array[] = [];
  private width = -1;
  private closed = false;
  private out: Writer | undefined;
  /**
   * The writer starts at the first row group (or at close): the schema is the same for every width. `kept`
   * (--resume): the rows `path` holds, copied in before the first new one; with none, `path` stays as it is.
   */
  private constructor(private readonly path: string, private readonly makeWriter: () => Writer, private kept?: ParquetRows) {
    this.files = [path];
  }

  static async open(path: string, createdBy: string, kept?: ParquetRows): Promise<ParquetSink> {
    const lib = await loadPackage<HyparquetWriter>(PARQUET_PACKAGE);
    // The file is created now (fileWriter truncates it), so an unwritable path fails before the model loads.
    let fw: unknown;
    try {
      fw = lib.fileWriter(partialPath(path));
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new InputError(`cannot write '${path}': ${code === "ENOENT" ? "no such directory" : code ?? (e as Error).message}`);
    }
    return new ParquetSink(path, () => new lib.ParquetWriter({ writer: fw, schema: SCHEMA, createdBy }), kept?.rows ? kept : undefined);
  }

  async text(): Promise<void> { throw new Error("ParquetSink.text: a Parquet file takes table rows only"); }
  async matrix(): Promise<void> { throw new Error("ParquetSink.matrix: a Parquet file takes table rows (with start/end)"); }

  async table(rows: TableRow[], vectors: Float32Array[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.kept) {
      const kept = this.kept;
      this.kept = undefined;
      try {
        for await (const s of kept.slices()) await this.table(s.rows, s.vectors);
      } catch (e) {
        this.kept = kept; // close() then leaves the file as it was, not half copied
        throw e;
      }
    }
    if (this.width < 0) this.width = vectors[0]!.length;
    const bad = vectors.findIndex((v) => v.length !== this.width);
    if (bad >= 0) throw new InputError(`${this.path}: '${rows[bad]!.id}' has ${vectors[bad]!.length} values, expected ${this.width}`);
    this.rows.push(...rows);
    this.vectors.push(...vectors);
    if (this.rows.length * Math.max(1, this.width) * 4 >= parquetSettings.groupBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    this.out ??= this.makeWriter();
    const rows = this.rows, vectors = this.vectors;
    this.rows = []; this.vectors = [];
    try {
      await this.out.write({
        rowGroupSize: rows.length,
        columnData: [
          { name: "index", data: rows.map((r) => BigInt(r.index)) },
          { name: "id", data: rows.map((r) => r.id) },
          { name: "start", data: rows.map((r) => BigInt(r.start)) },
          { name: "end", data: rows.map((r) => BigInt(r.end)) },
          { name: "embedding", data: vectors.map((v) => Array.from(v)) },
        ],
      });
    } catch (e) {
      throw new InputError(`cannot write '${this.path}': ${(e as { code?: string }).code ?? (e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.kept) {
      // --resume and no new row: the file is left as it was.
      await rm(partialPath(this.path), { force: true });
      return;
    }
    await this.flush();
    // No row at all: still a valid file, with the schema and no row group.
    this.out ??= this.makeWriter();
    this.out.finish();
    await rename(partialPath(this.path), this.path).catch((e) => {
      throw new InputError(`cannot write '${this.path}': ${(e as { code?: string }).code ?? (e as Error).message}`);
    });
  }
}

/** index, id, start, end, embedding: LIST<FLOAT> in the standard 3-level layout (what pyarrow writes and reads). */
const SCHEMA: object[] = [
  { name: "root", num_children: 5 },
  { name: "index", type: "INT64", repetition_type: "REQUIRED" },
  { name: "id", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "start", type: "INT64", repetition_type: "REQUIRED" },
  { name: "end", type: "INT64", repetition_type: "REQUIRED" },
  { name: "embedding", repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", type: "FLOAT", repetition_type: "REQUIRED" },
];
