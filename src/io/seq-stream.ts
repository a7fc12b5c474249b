// Streaming sequence input: bytes in (a Node file stream, stdin, a web ReadableStream), SequenceRecords out.
// gzip/bgzip is recognized by its magic bytes and inflated on the fly; binary input is refused; the text is cut into
// lines for fasta.ts's parsers. Memory holds one chunk and one record whatever the file size. Isomorphic.
import { FormatError } from "../errors.js";
import { createLineParser, type SequenceFormat, type SequenceRecord } from "./fasta.js";
import { gunzip, type GunzipImpl } from "./gzip.js";
import { TextCheck, sniffMagic } from "./seq-check.js";

/**
 * Bytes to read sequences from: a Node stream (`createReadStream`, `process.stdin`) or any async iterable of chunks,
 * or a web ReadableStream (`(await fetch(url)).body`, `file.stream()`).
 * @category Files & formats
 */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/**
 * Options of readSequences and readSequenceChunks.
 * @category Files & formats
 */
export interface ReadSequencesOptions {
  /** Default "auto": decided by the first non-blank line, as in parseSequences. */
  format?: SequenceFormat;
  /** Named in every FormatError: "reads.fq.gz: line 12: …". */
  name?: string;
  /** Records without an id are numbered from seq{numberFrom + 1} (default 0: seq1). */
  numberFrom?: number;
  /** Called with the number of source bytes read so far (compressed bytes for gzip input): for progress. */
  onBytes?: (bytes: number) => void;
  /** The gzip decompressor (default "auto": node:zlib in Node/Deno, DecompressionStream elsewhere). */
  gunzip?: GunzipImpl;
}

/**
 * Records of a FASTA, FASTQ, CSV/TSV or one-per-line source, plain or gzip/bgzip, as they are read. Every record
 * carries the line it starts on. Malformed input is a FormatError naming the line (and `name`).
 * @category Files & formats
 * @example
 * import { createReadStream } from "node:fs";
 * for await (const rec of readSequences(createReadStream("reads.fq.gz"), { name: "reads.fq.gz" })) {
 *   console.log(rec.id, rec.sequence.length);
 * }
 * // In a page or worker: a fetch body or a File's stream.
 * const seqs: string[] = [];
 * for await (const rec of readSequences((await fetch("genes.fa")).body!)) seqs.push(rec.sequence.toUpperCase());
 */
export function readSequences(source: ByteSource, opts: ReadSequencesOptions = {}): AsyncIterableIterator<SequenceRecord> {
  // A plain iterator over readSequenceChunks: one promise per record, a third of what an async generator's yield* costs.
  const chunks = readSequenceChunks(source, opts);
  let buf: SequenceRecord[] = [], i = 0;
  const end = { done: true, value: undefined } as const;
  const it: AsyncIterableIterator<SequenceRecord> = {
    [Symbol.asyncIterator]: () => it,
    async next() {
      while (i === buf.length) {
        const r = await chunks.next();
        if (r.done) return end;
        buf = r.value;
        i = 0;
      }
      return { done: false, value: buf[i++]! };
    },
    async return() {
      buf = [];
      i = 0;
      await chunks.return(undefined);
      return end;
    },
  };
  return it;
}

/**
 * readSequences a chunk at a time: the records completed by each piece of input (never an empty array), for callers
 * that take many at once and want to spare an await per record.
 * @category Files & formats
 * @example
 * import { createReadStream } from "node:fs";
 * for await (const records of readSequenceChunks(createReadStream("genes.fa"))) {
 *   const emb = await model.embed(records.map((r) => r.sequence));
 * }
 */
export async function* readSequenceChunks(source: ByteSource, opts: ReadSequencesOptions = {}): AsyncGenerator<SequenceRecord[]> {
  let rest: AsyncIterableIterator<Uint8Array> | undefined, text: AsyncIterableIterator<Uint8Array> | undefined;
  try {
    let head: Uint8Array;
    [head, rest] = await peek(counted(iterate(source), opts.onBytes), 8);
    const magic = sniffMagic(head);
    if (magic && magic.name !== "gzip") throw new FormatError(`${magic.name} data, not sequence text: ${magic.hint}`);
    let block: Uint8Array;
    [block, text] = await peek(magic ? gunzip(rest, opts.gunzip) : rest, 8);
    // gzip inside gzip (a .bam.gz: BAM is bgzip itself) is unpacked again, so the message can say what is inside.
    for (let depth = 1; magic && sniffMagic(block)?.name === "gzip" && depth < 3; depth++) {
      [block, text] = await peek(gunzip(text, opts.gunzip), 8);
    }
    const inner = magic ? sniffMagic(block) : undefined;
    if (inner) throw new FormatError(`gzip-compressed ${inner.name} data, not sequence text${inner.hint ? `: ${inner.hint}` : ""}`);
    const textCheck = new TextCheck(magic ? " of the decompressed data" : "");

    let queue: SequenceRecord[] = [];
    const parser = createLineParser(opts.format ?? "auto", (r, line) => { r.line ??= line; queue.push(r); }, { numberFrom: opts.numberFrom });
    const lines = new LineSplitter(parser.line);
    const decode = chunkDecoder();
    let offset = 0;
    const take = () => { const q = queue; queue = []; return q; };
    for await (const chunk of text) {
      textCheck.check(chunk, offset);
      offset += chunk.length;
      let error: unknown;
      try {
        // Text in pieces small enough for V8's young generation: a record's lines are slices of its piece, and
        // short-lived pieces are freed at once, where megabyte strings would pile up until a full collection.
        for (let i = 0; i < chunk.length; i += PIECE) lines.push(decode(chunk.subarray(i, i + PIECE)));
      } catch (e) { error = e; }
      // Records completed before a malformed one still come out, in order.
      if (queue.length) yield take();
      if (error !== undefined) throw error;
    }
    let error: unknown;
    try {
      lines.push(decode());
      lines.end();
      parser.end();
    } catch (e) { error = e; }
    if (queue.length) yield take();
    if (error !== undefined) throw error;
  } catch (e) {
    throw opts.name && e instanceof FormatError ? new FormatError(`${opts.name}: ${e.message}`) : e;
  } finally {
    // Also when the caller stopped early or parsing failed: closes the decompressor and the source.
    await text?.return?.();
    await rest?.return?.();
  }
}

interface NodeBufferModule {
  isAscii?(b: Uint8Array): boolean;
  Buffer: { from(b: ArrayBufferLike, offset: number, length: number): { toString(enc: "latin1"): string } };
}

/** node:buffer where the runtime lends it synchronously (Node ≥ 20.16, Deno), without an import a bundler would see. */
function nodeBuffer(): NodeBufferModule | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.("node:buffer") as NodeBufferModule | undefined;
  } catch {
    return undefined;
  }
}

/**
 * UTF-8 decoding of a stream, chunk by chunk (a character may straddle chunks; a leading BOM is dropped). Where
 * node:buffer is at hand, ASCII chunks, as nearly all sequence data is, skip the transcoding (5× faster).
 */
function chunkDecoder(): (chunk?: Uint8Array) => string {
  // ignoreBOM: the decoder's first call may come after ASCII chunks took the fast path, where a BOM is no longer the
  // file's first character; only one at the very start is dropped (below), as parseSequences does.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const nb = nodeBuffer();
  const isAscii = nb?.isAscii;
  let pending = false; // the decoder may hold the start of a character cut at the end of the last chunk
  let start = true; // no character decoded yet
  const first = (s: string) => {
    if (start && s.length > 0) { start = false; if (s.charCodeAt(0) === 0xfeff) return s.slice(1); }
    return s;
  };
  return (chunk) => {
    if (!chunk) return first(decoder.decode());
    if (isAscii && !pending && isAscii(chunk)) return first(nb!.Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString("latin1"));
    pending = chunk.length > 0 && chunk[chunk.length - 1]! >= 0x80;
    return first(decoder.decode(chunk, { stream: true }));
  };
}

const PIECE = 32 * 1024;
// V8's string length limit (2^29 - 24 characters): a longer line cannot be one string.
const MAX_LINE = 2 ** 29 - 24;

/** Splits text pushed in pieces into lines (\n, \r\n or \r), numbered from 1; a line may span pieces. */
class LineSplitter {
  private carry = "";
  private no = 0;
  private cr = false; // the last piece ended in \r: a \n starting the next one belongs to it
  constructor(private readonly onLine: (text: string, no: number) => void) {}

  push(s: string): void {
    if (s === "") return;
    let start = 0;
    if (this.cr) { this.cr = false; if (s.charCodeAt(0) === 10) start = 1; }
    const anyCR = s.includes("\r", start);
    const breaks = /\r\n|\r|\n/g;
    for (;;) {
      let end: number, next: number;
      if (!anyCR) {
        end = s.indexOf("\n", start);
        if (end < 0) break;
        next = end + 1;
      } else {
        breaks.lastIndex = start;
        const m = breaks.exec(s);
        if (!m) break;
        end = m.index;
        next = end + m[0].length;
        if (m[0] === "\r" && next === s.length) this.cr = true;
      }
      const piece = s.slice(start, end);
      const line = this.carry === "" ? piece : this.carry + piece;
      this.carry = "";
      this.onLine(line, ++this.no);
      start = next;
    }
    if (start < s.length) {
      if (this.carry.length + (s.length - start) > MAX_LINE) {
        throw new FormatError(`line ${this.no + 1}: longer than ${MAX_LINE} characters, more than one JavaScript string holds (is this a sequence file?)`);
      }
      this.carry += s.slice(start);
    }
  }

  end(): void {
    if (this.carry !== "") this.onLine(this.carry, ++this.no);
    this.carry = "";
  }
}

/** Any ByteSource as an async iterable (Safari's ReadableStream is not one). */
function iterate(source: ByteSource): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in source) return source as AsyncIterable<Uint8Array>;
  const stream = source as ReadableStream<Uint8Array>;
  return {
    async *[Symbol.asyncIterator]() {
      const reader = stream.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    },
  };
}

async function* counted(bytes: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const chunk of bytes) {
    if (typeof chunk === "string") throw new FormatError("readSequences: the source gave a string, expected bytes (Uint8Array)");
    n += chunk.length;
    onBytes?.(n);
    yield chunk;
  }
}

/**
 * Read at least `n` bytes (fewer only at the end) as one block, and the whole stream again from its start: the block
 * first, then the rest. return() on the second closes the source even when it was never iterated.
 */
async function peek(bytes: AsyncIterable<Uint8Array>, n: number): Promise<[Uint8Array, AsyncIterableIterator<Uint8Array>]> {
  const it = bytes[Symbol.asyncIterator]();
  const parts: Uint8Array[] = [];
  let size = 0, done = false;
  try {
    while (size < n) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      parts.push(r.value);
      size += r.value.length;
    }
  } catch (e) {
    await it.return?.();
    throw e;
  }
  let head: Uint8Array | undefined = parts.length === 1 ? parts[0]! : join(parts, size);
  const block = head;
  const end = { done: true, value: undefined } as const;
  const rest: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]() { return rest; },
    async next() {
      if (head !== undefined) {
        const h = head;
        head = undefined;
        if (h.length) return { done: false, value: h };
      }
      return done ? end : it.next();
    },
    async return() {
      head = undefined;
      if (!done) { done = true; await it.return?.(); }
      return end;
    },
  };
  return [block, rest];
}

function join(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
