// gzip and bgzip decompression for sequence input, as a stream: node:zlib where there is one (Node, Deno; imported
// lazily through a variable specifier so browser bundles never see it), DecompressionStream elsewhere.
// Concatenated members (bgzip, `cat a.gz b.gz`) are one stream: zlib's gunzip reads them all; DecompressionStream
// reads one member only, so bgzip blocks, which state their own size, are split and inflated one by one.
import { hasFileSystem, nodeBuiltin } from "../env.js";
import { FormatError } from "../errors.js";

/**
 * The gzip decompressor of readSequences: "node": node:zlib; "web": DecompressionStream; "auto": node:zlib where
 * the runtime has it.
 * @category Files & formats
 */
export type GunzipImpl = "auto" | "node" | "web";

/** The decompressed bytes of a gzip stream (one or more members). Corrupt or truncated data is a FormatError. */
export function gunzip(bytes: AsyncIterable<Uint8Array>, impl: GunzipImpl = "auto"): AsyncGenerator<Uint8Array> {
  return (impl === "node" || (impl === "auto" && hasFileSystem)) ? nodeGunzip(bytes) : webGunzip(bytes);
}

const corrupt = (e: unknown) =>
  new FormatError(`gzip data is corrupt or truncated (${(e as Error)?.message ?? String(e)})`);

async function* nodeGunzip(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const [zlib, stream] = await Promise.all([nodeBuiltin("zlib"), nodeBuiltin("stream")]);
  const src = stream.Readable.from(bytes, { objectMode: false });
  const gz = zlib.createGunzip({ chunkSize: 256 * 1024 });
  let srcError: unknown;
  src.on("error", (e) => { srcError ??= e; });
  // pipeline destroys both on any error (closing the source iterator) and passes a read error on to gz.
  stream.pipeline(src, gz, () => {});
  try {
    for await (const chunk of gz) yield chunk as Uint8Array;
  } catch (e) {
    if (srcError !== undefined) throw srcError; // a read error of the source, not of the data
    throw corrupt(e);
  } finally {
    gz.destroy();
  }
}

async function* webGunzip(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = bytes[Symbol.asyncIterator]();
  try {
    let buf: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
    let done = false;
    const fill = async (n: number) => {
      while (buf.length < n && !done) {
        const r = await it.next();
        if (r.done) done = true;
        else buf = concat(buf, r.value);
      }
    };
    await fill(18);
    if (bgzfSize(buf) === undefined) {
      yield* inflate(buf, done ? undefined : it);
      return;
    }
    // bgzip: BSIZE + 1 bytes per member, each a complete gzip stream of at most 64 KiB output.
    for (;;) {
      await fill(18);
      if (buf.length === 0) return;
      const size = bgzfSize(buf);
      if (size === undefined) {
        // Not another BGZF block: whatever follows is read as one last member.
        yield* inflate(buf, done ? undefined : it);
        return;
      }
      await fill(size);
      if (buf.length < size) throw corrupt(new Error(`bgzip block of ${size} bytes cut at ${buf.length}`));
      yield* inflate(buf.subarray(0, size), undefined);
      buf = buf.subarray(size);
    }
  } finally {
    await it.return?.();
  }
}

/** A BGZF block's total size (its 'BC' extra subfield, BSIZE + 1), or undefined when `b` does not start one. */
function bgzfSize(b: Uint8Array): number | undefined {
  if (b.length < 18 || b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8 || !(b[3]! & 4)) return undefined;
  const xlen = b[10]! | (b[11]! << 8);
  for (let p = 12; p + 4 <= 12 + xlen && p + 4 <= b.length; p += 4 + (b[p + 2]! | (b[p + 3]! << 8))) {
    if (b[p] === 66 && b[p + 1] === 67 && b[p + 2] === 2 && p + 6 <= b.length) return (b[p + 4]! | (b[p + 5]! << 8)) + 1;
  }
  return undefined;
}

/** Inflate `head` and, when given, the rest of `more` as one gzip member through DecompressionStream. */
async function* inflate(head: Uint8Array, more: AsyncIterator<Uint8Array> | undefined): AsyncGenerator<Uint8Array> {
  const ds = new DecompressionStream("gzip");
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let srcError: unknown, out = 0;
  // Writing runs beside reading: DecompressionStream takes input only as fast as its output is read.
  const pumping = (async () => {
    try {
      await writer.write(head as Uint8Array<ArrayBuffer>);
      while (more) {
        let r: IteratorResult<Uint8Array>;
        try { r = await more.next(); } catch (e) { srcError = e; throw e; }
        if (r.done) break;
        await writer.write(r.value as Uint8Array<ArrayBuffer>);
      }
      await writer.close();
    } catch (e) {
      await writer.abort(e).catch(() => {}); // errors the readable side too, so the reader stops
    }
  })();
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try { r = await reader.read(); } catch (e) {
        if (srcError !== undefined) throw srcError; // a read error of the source, not of the data
        // DecompressionStream reads one member and then fails on the next, each engine with its own message.
        throw out > 0
          ? new FormatError(`gzip data is corrupt or truncated, or holds concatenated members, which DecompressionStream cannot read ` +
            `(bgzip files can; recompress with bgzip, or read it in Node or Deno): ${(e as Error)?.message ?? String(e)}`)
          : corrupt(e);
      }
      if (r.done) break;
      out += r.value.length;
      yield r.value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    await pumping;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
