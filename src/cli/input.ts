// The CLI's sequence input: the files named on the command line (plain or gzip/bgzip) and stdin ('-'), read in order
// as one stream of records, checked for characters outside ACGTN and upper-cased. Commands take it a batch at a
// time, so memory holds one batch whatever the input size.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { InputError } from "../errors.js";
import type { SequenceFormat, SequenceRecord } from "../io/fasta.js";
import { AlphabetCheck } from "../io/seq-check.js";
import { readSequenceChunks } from "../io/seq-stream.js";
import type { CliIo } from "./types.js";

export interface InputOptions {
  /** Paths, "-" for stdin. */
  inputs: string[];
  inputFormat: SequenceFormat;
  keepCase: boolean;
  /** A character outside ACGTN is an error instead of a warning at the end. */
  strict: boolean;
  /** --shard i/N: only records whose index k (0-based, over all inputs) has k mod N = i - 1. */
  shard?: { index: number; count: number };
}

/** A record with its 0-based position in the whole input (all files), which sharded outputs store. */
export interface IndexedRecord extends SequenceRecord { index: number }

interface InputFile { path: string; name: string; size?: number }

export const ABORTED = Symbol("aborted");

/** `p`, or ABORTED as soon as `signal` aborts (the listener goes once `p` settles, so nothing piles up per call). */
export function unlessAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T | typeof ABORTED> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((res, rej) => {
    const onAbort = () => res(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then((v) => { signal.removeEventListener("abort", onAbort); res(v); },
      (e) => { signal.removeEventListener("abort", onAbort); rej(e); });
  });
}

export class Input {
  readonly check = new AlphabetCheck();
  /** Source bytes read so far (compressed bytes for gzip), and their total when every input is a file. */
  readonly bytes: { loaded: number; total?: number };
  /** Set when a batch loop stopped on the interrupt signal. */
  interrupted = false;
  private readonly stream: AsyncGenerator<IndexedRecord[]>;
  private ahead: IndexedRecord[] = []; // records read and not yet taken, from index `at`
  private at = 0;
  private ended = false;
  private pending: Promise<unknown> | undefined;

  private constructor(private readonly opts: InputOptions, private readonly files: InputFile[], private readonly io: CliIo) {
    this.bytes = { loaded: 0, total: files.every((f) => f.size !== undefined) ? files.reduce((a, f) => a + f.size!, 0) : undefined };
    this.stream = this.read(true);
  }

  /** Check that every input exists and is a file (InputError naming it) before anything is read or loaded. */
  static async open(opts: InputOptions, io: CliIo): Promise<Input> {
    const files = await Promise.all(opts.inputs.map(async (path): Promise<InputFile> => {
      if (path === "-") return { path, name: "<stdin>" };
      try {
        const st = await stat(path);
        if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
        return { path, name: path, size: st.size };
      } catch (e) {
        throw readError(path, e);
      }
    }));
    return new Input(opts, files, io);
  }

  /** Read the first records, so that unreadable, binary or malformed starts of input fail before the model loads. */
  async peek(signal?: AbortSignal): Promise<void> {
    if (this.at < this.ahead.length) return;
    await unlessAborted(this.fill(), signal); // left waiting on stdin when aborted: close() does not wait for it
  }

  /**
   * The number of records, for a header that must come first (NPY to a pipe): a counting pass over the files, or,
   * when stdin is among the inputs (it cannot be read twice), every record held in memory until it is used.
   */
  async count(): Promise<number> {
    if (this.files.some((f) => f.path === "-")) {
      while (!this.ended) await this.fill();
      return this.ahead.length - this.at;
    }
    let n = 0;
    for await (const chunk of this.read(false)) n += chunk.length;
    return n;
  }

  /** Every record (finetune's CSVs). */
  async all(): Promise<SequenceRecord[]> {
    while (!this.ended) await this.fill();
    return this.take(this.ahead.length);
  }

  /** Batches of `size` records. On `signal` it stops at once, even while waiting for input, and sets `interrupted`. */
  async *batches(size: number, signal?: AbortSignal): AsyncGenerator<IndexedRecord[]> {
    for (;;) {
      if (signal?.aborted) { this.interrupted = true; return; }
      while (this.ahead.length - this.at < size && !this.ended) {
        // A read may wait on stdin for good: on abort it is left pending, and close() does not wait for it.
        if (await unlessAborted(this.fill(), signal) === ABORTED) { this.interrupted = true; return; }
      }
      const batch = this.take(size);
      if (batch.length === 0) return;
      yield batch;
    }
  }

  /** Stop reading: closes the file being read. */
  async close(): Promise<void> {
    if (this.pending) { void this.pending.finally(() => this.stream.return(undefined)).catch(() => {}); return; }
    await this.stream.return(undefined).catch(() => {});
  }

  private take(n: number): IndexedRecord[] {
    const out = this.ahead.slice(this.at, this.at + n);
    this.at += out.length;
    if (this.at === this.ahead.length) { this.ahead = []; this.at = 0; }
    return out;
  }

  private async fill(): Promise<void> {
    const next = this.stream.next();
    this.pending = next;
    const r = await next;
    this.pending = undefined;
    if (r.done) { this.ended = true; return; }
    // Taken records are dropped here, so `ahead` holds at most a batch and a chunk.
    this.ahead = this.at === this.ahead.length ? r.value : this.ahead.slice(this.at).concat(r.value);
    this.at = 0;
  }

  /** `main`: the record stream, which checks, upper-cases and counts bytes; otherwise the counting pass. */
  private async *read(main: boolean): AsyncGenerator<IndexedRecord[]> {
    let n = 0;
    const shard = this.opts.shard;
    for (const f of this.files) {
      const base = this.bytes.loaded;
      const source = f.path === "-" ? stdinBytes(this.io) : fileBytes(f);
      const onBytes = main ? (b: number) => { this.bytes.loaded = base + b; } : undefined;
      for await (const all of readSequenceChunks(source, { format: this.opts.inputFormat, name: f.name, numberFrom: n, onBytes })) {
        // Every shard numbers the whole input (ids seq1, seq2, … and indices alike) and keeps its own records.
        let chunk = all as IndexedRecord[];
        for (let i = 0; i < chunk.length; i++) chunk[i]!.index = n + i;
        if (shard) chunk = chunk.filter((r) => r.index % shard.count === shard.index - 1);
        n += all.length;
        if (chunk.length === 0) continue;
        if (main) {
          for (let i = 0; i < chunk.length; i++) {
            const r = chunk[i]!;
            const bad = this.check.add(r, f.name);
            if (bad >= 0 && this.opts.strict) {
              if (i > 0) yield chunk.slice(0, i); // the records before it still count
              throw this.check.error(r, bad, f.name);
            }
            // Soft-masked (lower-case) bases are not in the vocabulary; upper-case unless asked not to.
            if (!this.opts.keepCase) r.sequence = r.sequence.toUpperCase();
          }
        }
        yield chunk;
      }
    }
  }
}

/** Every record of the inputs, with the characters-outside-ACGTN warning on stderr (finetune's CSV files). */
export async function readRecords(opts: InputOptions, io: CliIo): Promise<SequenceRecord[]> {
  const input = await Input.open(opts, io);
  const records = await input.all();
  const warning = input.check.warning();
  if (warning) io.stderr.write(`germ: warning: ${warning}\n`);
  return records;
}

async function* fileBytes(f: InputFile): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(f.path, { highWaterMark: 1 << 20 })) yield chunk as Uint8Array;
  } catch (e) {
    throw readError(f.name, e);
  }
}

async function* stdinBytes(io: CliIo): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for await (const chunk of io.stdin()) yield typeof chunk === "string" ? encoder.encode(chunk) : chunk;
}

function readError(name: string, e: unknown): InputError {
  const code = (e as { code?: string }).code;
  const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code ?? (e as Error).message;
  return new InputError(`cannot read input '${name}': ${why}`);
}
