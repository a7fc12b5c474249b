// Random access to one model file, so a checkpoint loads tensor by tensor: the loader holds one tensor's bytes at a
// time instead of the whole file beside its copy in backend memory (and files past 4 GiB load at all).
// Local files (Node, Deno), bytes in memory and Blobs/Files (a page's file picker) each implement it here.
import { FetchError } from "../errors.js";
import { nodeBuiltin, type NodeBuiltins } from "../env.js";

/**
 * One model file opened for reads at any offset ({@link ModelSource.open}).
 * @category Files & formats
 */
export interface RandomAccessFile {
  /** Size in bytes, fixed when the file was opened. */
  readonly size: number;
  /** `length` bytes at `offset` (a buffer of their own, or a view for files held in memory); FetchError when the range is past the end or the file changed. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Release the file (idempotent). */
  close(): Promise<void>;
}

type Fs = NodeBuiltins["fs/promises"];
let fsPromise: Promise<Fs> | undefined;

/** node:fs/promises, imported on first use so browser bundles never reference it. */
export function nodeFs(): Promise<Fs> {
  fsPromise ??= nodeBuiltin("fs/promises");
  return fsPromise;
}

/** Largest single read into one buffer (V8's typed-array limit on 64-bit hosts); files themselves may be larger. */
export const MAX_READ = 2 ** 32 - 1;

/** Reads are issued in pieces of this size (a 64 MiB read keeps the thread pool responsive). */
const PIECE = 1 << 26;

/**
 * Open a regular file for bounded random reads. A FIFO, a device (a symlink to /dev/zero), a directory, or a file
 * swapped while being opened is a FetchError; every read re-checks size and mtime, so a file that grows, shrinks or is
 * rewritten while a model loads fails loudly instead of mixing two versions. Errors of the file system itself
 * (ENOENT…) pass through, so callers can tell "absent" from "unreadable".
 */
export async function openLocalFile(path: string): Promise<RandomAccessFile> {
  const fs = await nodeFs();
  const st = await fs.stat(path); // follows symlinks: what a link points at is what must be a plain file
  if (!st.isFile()) throw new FetchError(`read ${path}: not a regular file (${fileKind(st)}); model files must be plain files`);
  // O_NONBLOCK: if the path was swapped for a FIFO since stat, open does not wait for a writer.
  const h = await fs.open(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  let closed = false;
  const close = async () => { if (!closed) { closed = true; await h.close(); } };
  try {
    const at = await h.stat();
    if (!at.isFile() || at.size !== st.size || at.ino !== st.ino || at.dev !== st.dev) throw new FetchError(`read ${path}: the file changed while it was being opened`);
    const size = at.size, mtime = at.mtimeMs;
    const unchanged = async () => {
      const now = await h.stat();
      if (now.size !== size || now.mtimeMs !== mtime) {
        throw new FetchError(`read ${path}: the file changed while it was being read (${size} bytes when opened, ${now.size} now); is it still being written?`);
      }
    };
    return {
      size,
      async read(offset, length) {
        if (closed) throw new FetchError(`read ${path}: the file was closed`);
        checkRange(path, offset, length, size);
        await unchanged();
        const out = new Uint8Array(length);
        for (let off = 0; off < length;) {
          const { bytesRead } = await h.read(out, off, Math.min(length - off, PIECE), offset + off);
          if (bytesRead === 0) throw new FetchError(`read ${path}: the file shrank while it was being read (${offset + off} of ${size} bytes)`);
          off += bytesRead;
        }
        // One byte past the end when the read reaches it: a file still being written is not taken for a whole one.
        if (offset + length === size) {
          const { bytesRead } = await h.read(new Uint8Array(1), 0, 1, size);
          if (bytesRead !== 0) {
            const now = (await h.stat()).size;
            throw new FetchError(`read ${path}: the file changed while it was being read (${size} bytes when opened, ${now} now, more past the end); is it still being written?`);
          }
        }
        await unchanged();
        return out;
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A file's bytes held in memory as a RandomAccessFile; reads are views into them (the memory is spent already). */
export function bytesFile(bytes: Uint8Array, name: string): RandomAccessFile {
  return {
    size: bytes.byteLength,
    async read(offset, length) { checkRange(name, offset, length, bytes.byteLength); return bytes.subarray(offset, offset + length); },
    async close() {},
  };
}

/** A Blob or File (a page's file picker) as a RandomAccessFile: each read is one `slice()`, nothing else is loaded. */
export function blobFile(blob: Blob, name: string): RandomAccessFile {
  const size = blob.size;
  return {
    size,
    async read(offset, length) {
      checkRange(name, offset, length, size);
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (bytes.byteLength !== length) throw new FetchError(`read ${name}: got ${bytes.byteLength} of ${length} bytes at ${offset}`);
      return bytes;
    },
    async close() {},
  };
}

/** A whole RandomAccessFile in one buffer (files up to MAX_READ), then closed. */
export async function readWhole(f: RandomAccessFile, name: string): Promise<Uint8Array> {
  try {
    if (f.size > MAX_READ) throw new FetchError(`read ${name}: ${f.size} bytes is more than one buffer holds (${MAX_READ})`);
    return await f.read(0, f.size);
  } finally {
    await f.close();
  }
}

function checkRange(name: string, offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new FetchError(`read ${name}: bytes [${offset}, ${offset + length}) are outside the ${size}-byte file`);
  }
  if (length > MAX_READ) throw new FetchError(`read ${name}: a ${length}-byte read is more than one buffer holds (${MAX_READ})`);
}

function fileKind(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  return st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a character device"
    : st.isBlockDevice() ? "a block device" : st.isSocket() ? "a socket" : "not a file";
}
