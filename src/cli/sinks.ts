// Where the CLI's results go: stdout or an --out file (text, or NPY with a row count known in advance), or, for
// `embed --format npy --out x.npy`, an NPY file whose header is rewritten after every batch plus an x.ids.tsv sidecar.
// Sinks are opened before the model loads, so a bad --out path fails before any download.
import { createWriteStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { GermError, InputError } from "../errors.js";
import { idsPath, npyHeader, npyRows, tsvCell } from "./output.js";
import type { Resume } from "./resume.js";

export type { Sink, TableRow } from "./sink-types.js";
import type { Sink } from "./sink-types.js";

/**
 * Open the sink for `out` (undefined: stdout). NPY to a stream is written once, front to back, so its header needs
 * `npyRows`, the row count, in advance; an interrupted run leaves a header that claims them all (a pipe cannot be
 * rewritten). NPY to a file is an NpyFile.
 */
export async function openSink(out: string | undefined, format: string, stdout: Writable, npyRows?: number, resume?: Resume): Promise<Sink> {
  if (format === "npy" && out) return NpyFile.open(out, resume);
  if (!out) return new StreamSink(stdout, undefined, npyRows);
  // --resume appends after the rows kept (resume.ts cut off any partial one).
  const stream = createWriteStream(out, { flags: resume ? "a" : "w" });
  const sink = new StreamSink(stream, out, npyRows);
  try {
    await once(stream, "open");
  } catch (e) {
    throw cannotWrite(out, e);
  }
  return sink;
}

export async function write(stream: Writable, chunk: string | Uint8Array): Promise<void> {
  if (!stream.write(chunk)) await once(stream, "drain"); // once() rejects if the stream errors meanwhile
}

function cannotWrite(path: string, e: unknown): Error {
  if (e instanceof GermError) return e;
  return new InputError(`cannot write '${path}': ${(e as { code?: string }).code ?? (e as Error).message}`);
}

class StreamSink implements Sink {
  private failure: Error | undefined;
  private header = false;
  readonly files: string[];
  constructor(private readonly stream: Writable, private readonly path: string | undefined, private readonly npyRows?: number) {
    stream.on("error", (e) => { this.failure ??= e; });
    this.files = path ? [path] : [];
  }

  async text(chunk: string | Uint8Array): Promise<void> {
    if (this.failure) throw this.wrap(this.failure);
    try { await write(this.stream, chunk); } catch (e) { throw this.wrap(e); }
  }

  async matrix(_ids: string[], rows: Float32Array[]): Promise<void> {
    if (!this.header) {
      if (this.npyRows === undefined) throw new Error("StreamSink.matrix: the NPY row count was not given");
      await this.text(npyHeader([this.npyRows, rows[0]?.length ?? 0]));
      this.header = true;
    }
    await this.text(npyRows(rows));
  }

  async close(): Promise<void> {
    if (!this.path) return; // stdout stays open; Node flushes it before exit
    if (this.stream.writableFinished || this.stream.destroyed) return;
    this.stream.end();
    try { await once(this.stream, "finish"); } catch (e) { throw this.wrap(e); }
    if (this.failure) throw this.wrap(this.failure);
  }

  private wrap(e: unknown): Error {
    return this.path ? cannotWrite(this.path, e) : (e as Error); // EPIPE on stdout is handled by report()
  }
}

export { idsPath };

/**
 * An NPY file written in place: the header is reserved for the largest row count and rewritten after every batch,
 * after the rows and their ids. So whenever the run stops (Ctrl-C, an error, even a kill) the header counts only
 * rows that are there, and the first that many lines of the ids file are their ids, one per line.
 */
export class NpyFile implements Sink {
  private rows = 0;
  private width = -1;
  private headerSize = 0;
  private end = 0;
  private closed = false;
  readonly files: string[];
  private constructor(private readonly data: FileHandle, private readonly ids: FileHandle, private readonly path: string, idsFile: string) {
    this.files = [path, idsFile];
  }

  /** `resume` (with rows): go on after the rows there, whose header, width and ids resume.ts checked. */
  static async open(path: string, resume?: Resume): Promise<NpyFile> {
    const side = idsPath(path);
    const append = resume?.npy !== undefined;
    const data = await open(path, append ? "r+" : "w").catch((e) => { throw cannotWrite(path, e); });
    const ids = await open(side, append ? "a" : "w").catch(async (e) => { await data.close(); throw cannotWrite(side, e); });
    const file = new NpyFile(data, ids, path, side);
    if (append) {
      file.rows = resume!.rows;
      file.width = resume!.npy!.width;
      file.headerSize = resume!.npy!.headerSize;
      file.end = file.headerSize + file.rows * file.width * 4;
    }
    return file;
  }

  async text(): Promise<void> {
    throw new Error("NpyFile.text: an NPY file takes matrix rows only");
  }

  async matrix(ids: string[], rows: Float32Array[], indices?: number[], extra?: string[]): Promise<void> {
    if (rows.length === 0) return;
    if (rows[0]!.length !== this.width && this.width >= 0) throw new InputError(`${this.path}: rows of ${rows[0]!.length} values after rows of ${this.width} (resumed with another model?)`);
    await this.bytes(ids.map((id, i) => (indices ? `${indices[i]}\t` : "") + tsvCell(id) + (extra ? `\t${extra[i]}` : "")), npyRows(rows), rows[0]!.length);
  }

  /** Rows already encoded as little-endian float32 (`germ merge` copies them unchanged), with their id lines. */
  async bytes(idLines: string[], bytes: Uint8Array, width: number): Promise<void> {
    if (idLines.length === 0) return;
    if (this.width < 0) {
      this.width = width;
      this.headerSize = npyHeader([Number.MAX_SAFE_INTEGER, this.width]).length;
      this.end = this.headerSize;
    }
    try {
      await this.ids.write(idLines.map((l) => l + "\n").join(""));
      await writeAt(this.data, bytes, this.end);
      this.end += bytes.length;
      this.rows += idLines.length;
      await writeAt(this.data, npyHeader([this.rows, this.width], this.headerSize), 0);
    } catch (e) {
      throw cannotWrite(this.path, e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.width < 0) await writeAt(this.data, npyHeader([0, 0]), 0); // no row came: still a loadable (0, 0) array
    } finally {
      await Promise.all([this.data.close(), this.ids.close()]);
    }
  }
}

async function writeAt(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
