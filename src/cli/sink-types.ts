// The sink interface on its own, so the Parquet sink (parquet.ts) and the sinks that resume.ts feeds share it without
// an import cycle (sinks.ts → resume.ts → parquet.ts).

/** A row of a table output (Parquet): the record index, its id and the span it covers (bp, end exclusive). */
export interface TableRow { index: number; id: string; start: number; end: number }

export interface Sink {
  /** The file(s) written, for messages; empty for stdout. */
  readonly files: string[];
  text(chunk: string): Promise<void>;
  /**
   * embed --format npy: the next rows of the float32 matrix, with their ids (and record indices when sharded);
   * `extra`: more sidecar cells per row, after the id (start, end[, token] with --window / --per-token).
   */
  matrix(ids: string[], rows: Float32Array[], indices?: number[], extra?: string[]): Promise<void>;
  /**
   * Rows that are not one per record of the batch (--window, --per-token): `rowsOf[i]` is the batch position of row
   * i's record, so a sharded output can give each row its record index. Text and matrix calls after it use it.
   */
  rowsOf?(positions: number[]): void;
  /** embed --out x.parquet: rows with their vectors (ParquetSink only). */
  table?(rows: TableRow[], vectors: Float32Array[]): Promise<void>;
  close(): Promise<void>;
}

