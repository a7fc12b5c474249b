// `embed --out x.parquet`: one row per sequence with its record index, id, start/end (bp) and the vector as a
// Parquet LIST<FLOAT> column (pandas: np.stack(df.embedding)), written with hyparquet-writer (pure JS, no native
// build), loaded only then. Rows are buffered into row groups of ~32 MB; close() writes the last group and the
// footer, so a finished or Ctrl-C'd run leaves a readable file (a killed one does not: use --shard, not --resume).
import { InputError } from "../errors.js";
import type { Sink, TableRow } from "./sinks.js";

/** The part of hyparquet-writer used here. */
interface HyparquetWriter {
  ParquetWriter: new (o: { writer: unknown; schema: object[]; createdBy?: string }) => {
    write(o: { columnData: { name: string; data: unknown[] }[]; rowGroupSize?: number }): void | Promise<void>;
    finish(): void;
  };
  fileWriter(filename: string): unknown;
}
type Writer = InstanceType<HyparquetWriter["ParquetWriter"]>;

export const PARQUET_PACKAGE = "hyparquet-writer";

async function loadWriter(): Promise<HyparquetWriter> {
  const name = PARQUET_PACKAGE; // not a literal: the package is optional until Parquet is asked for
  try {
    return await import(name) as HyparquetWriter;
  } catch {
    throw new InputError(`--out *.parquet needs the '${PARQUET_PACKAGE}' package (npm install ${PARQUET_PACKAGE}); or write --format npy or jsonl`);
  }
}

/** Row group size in bytes of vectors (tests lower it to get several groups from a small input). */
export const parquetSettings = { groupBytes: 32 << 20 };

export class ParquetSink implements Sink {
  readonly files: string[];
  private rows: TableRow[] = [];
  private vectors: Float32Array[] = [];
  private width = -1;
  private closed = false;
  private out: Writer | undefined;
  /** The writer starts at the first row group (or at close): the schema is the same for every width. */
  private constructor(private readonly path: string, private readonly makeWriter: () => Writer) {
    this.files = [path];
  }

  static async open(path: string, createdBy: string): Promise<ParquetSink> {
    const lib = await loadWriter();
    // The file is created now (fileWriter truncates it), so an unwritable path fails before the model loads.
    let fw: unknown;
    try {
      fw = lib.fileWriter(path);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new InputError(`cannot write '${path}': ${code === "ENOENT" ? "no such directory" : code ?? (e as Error).message}`);
    }
    return new ParquetSink(path, () => new lib.ParquetWriter({ writer: fw, schema: SCHEMA, createdBy }));
  }

  async text(): Promise<void> { throw new Error("ParquetSink.text: a Parquet file takes table rows only"); }
  async matrix(): Promise<void> { throw new Error("ParquetSink.matrix: a Parquet file takes table rows (with start/end)"); }

  async table(rows: TableRow[], vectors: Float32Array[]): Promise<void> {
    if (rows.length === 0) return;
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
    await this.flush();
    // No row at all: still a valid file, with the schema and no row group.
    this.out ??= this.makeWriter();
    this.out.finish();
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
