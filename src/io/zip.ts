// Minimal zip reader for torch.save archives: reads the central directory (zip64 too) and returns each
// STORED entry as a zero-copy subarray. Hand-written rather than a zip library because those inflate into
// fresh buffers: a 400+ MB pytorch_model.bin must stay one buffer, viewed in place. torch writes stored only.
import { FormatError } from "../errors.js";

const SIG_EOCD = 0x06054b50, SIG_EOCD64 = 0x06064b50, SIG_LOC64 = 0x07064b50;
const SIG_CENTRAL = 0x02014b50, SIG_LOCAL = 0x04034b50;

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored; anything else is compressed, which this reader refuses to inflate. */
  readonly method: number;
  readonly size: number;
  /** The entry's bytes as a view into the archive. Throws FormatError for compressed or encrypted entries. */
  data(): Uint8Array;
}

/**
 * List the entries of a zip archive held in memory.
 * @example
 * const entries = readZip(bytes, "pytorch_model.bin");
 * const pkl = entries.get("archive/data.pkl")?.data();
 */
export function readZip(bytes: Uint8Array, file: string): Map<string, ZipEntry> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(dv);
  if (eocd < 0) throw new FormatError(`${file}: not a zip archive (no end-of-central-directory record)`);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  // zip64: the classic record holds 0xFFFF… placeholders and a locator just before it points at the real one.
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === SIG_LOC64) {
    const rec = u64(dv, eocd - 20 + 8, file, "zip64 record offset");
    if (rec + 56 > eocd - 20 || dv.getUint32(rec, true) !== SIG_EOCD64) throw new FormatError(`${file}: zip64 end-of-central-directory record missing at byte ${rec}`);
    count = u64(dv, rec + 32, file, "entry count");
    cdSize = u64(dv, rec + 40, file, "central directory size");
    cdOffset = u64(dv, rec + 48, file, "central directory offset");
  }
  if (cdOffset + cdSize > bytes.byteLength) throw new FormatError(`${file}: central directory [${cdOffset}, +${cdSize}] lies past the end of the ${bytes.byteLength}-byte file`);

  const entries = new Map<string, ZipEntry>();
  const utf8 = new TextDecoder("utf-8");
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd || dv.getUint32(p, true) !== SIG_CENTRAL) throw new FormatError(`${file}: central directory entry ${i} malformed at byte ${p}`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true), extraLen = dv.getUint16(p + 30, true), commentLen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) throw new FormatError(`${file}: central directory entry ${i} runs past the directory at byte ${p}`);
    const name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended info (tag 1) carries, in order, only the fields whose 32-bit slot is 0xFFFFFFFF.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const tag = dv.getUint16(e, true), len = dv.getUint16(e + 2, true);
      if (tag === 1) {
        let q = e + 4;
        const take = (what: string) => { if (q + 8 > e + 4 + len) throw new FormatError(`${file}: "${name}": zip64 extra field too short for ${what}`); const v = u64(dv, q, file, what); q += 8; return v; };
        if (usize === 0xffffffff) usize = take("size");
        if (csize === 0xffffffff) csize = take("compressed size");
        if (local === 0xffffffff) local = take("local header offset");
      }
      e += 4 + len;
    }
    entries.set(name, makeEntry(bytes, dv, file, name, flags, method, csize, usize, local));
    p = next;
  }
  return entries;
}

function makeEntry(bytes: Uint8Array, dv: DataView, file: string, name: string, flags: number, method: number,
  csize: number, usize: number, local: number): ZipEntry {
  return {
    name, method, size: usize,
    data(): Uint8Array {
      if (flags & 1) throw new FormatError(`${file}: entry "${name}" is encrypted`);
      if (method !== 0) throw new FormatError(`${file}: entry "${name}" is compressed (method ${method}); only stored entries are read, as torch.save writes them`);
      if (csize !== usize) throw new FormatError(`${file}: stored entry "${name}" has compressed size ${csize} ≠ size ${usize}`);
      if (local + 30 > bytes.byteLength || dv.getUint32(local, true) !== SIG_LOCAL) throw new FormatError(`${file}: entry "${name}": no local header at byte ${local}`);
      // The local header's own name/extra lengths decide where data starts (torch pads extra to align data).
      const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
      if (start + usize > bytes.byteLength) throw new FormatError(`${file}: entry "${name}" [${start}, +${usize}] runs past the end of the file`);
      return bytes.subarray(start, start + usize);
    },
  };
}

/** Scan back for the classic EOCD record; it sits in the last 22 + 65535 (comment) bytes. */
function findEocd(dv: DataView): number {
  const stop = Math.max(0, dv.byteLength - 22 - 0xffff);
  for (let i = dv.byteLength - 22; i >= stop; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD && i + 22 + dv.getUint16(i + 20, true) <= dv.byteLength) return i;
  }
  return -1;
}

function u64(dv: DataView, at: number, file: string, what: string): number {
  if (at + 8 > dv.byteLength) throw new FormatError(`${file}: zip ${what} at byte ${at} runs past the end of the file`);
  const v = dv.getUint32(at + 4, true) * 2 ** 32 + dv.getUint32(at, true);
  if (!Number.isSafeInteger(v)) throw new FormatError(`${file}: zip ${what} ${v} is too large`);
  return v;
}
