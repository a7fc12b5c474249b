// Minimal zip reader for torch.save archives: reads the central directory (zip64 too) and returns each
// STORED entry as a zero-copy subarray. Hand-written rather than a zip library because those inflate into
// fresh buffers: a 400+ MB pytorch_model.bin must stay one buffer, viewed in place. torch writes stored only.
// Strict, so a mutated checkpoint cannot load bytes from the wrong place: local headers must match the central
// directory, names are unique, entries do not overlap, and each entry read has its CRC-32 checked.
import { FormatError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { quote } from "./quote.js";

const SIG_EOCD = 0x06054b50, SIG_EOCD64 = 0x06064b50, SIG_LOC64 = 0x07064b50;
const SIG_CENTRAL = 0x02014b50, SIG_LOCAL = 0x04034b50, SIG_DESCRIPTOR = 0x08074b50;

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
  let cdLimit = eocd; // the central directory ends before the end record(s)
  // zip64: the classic record holds 0xFFFF… placeholders and a locator just before it points at the real one.
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === SIG_LOC64) {
    const rec = u64(dv, eocd - 20 + 8, file, "zip64 record offset");
    if (rec + 56 > eocd - 20 || dv.getUint32(rec, true) !== SIG_EOCD64) throw new FormatError(`${file}: zip64 end-of-central-directory record missing at byte ${rec}`);
    count = u64(dv, rec + 32, file, "entry count");
    cdSize = u64(dv, rec + 40, file, "central directory size");
    cdOffset = u64(dv, rec + 48, file, "central directory offset");
    cdLimit = rec;
  } else if (dv.getUint16(eocd + 4, true) !== 0 || dv.getUint16(eocd + 6, true) !== 0 || dv.getUint16(eocd + 8, true) !== count) {
    throw new FormatError(`${file}: multi-disk (split) zip archives are not supported (end record at byte ${eocd})`);
  }
  if (cdOffset + cdSize > cdLimit) throw new FormatError(`${file}: central directory [${cdOffset}, +${cdSize}] runs past its end record at byte ${cdLimit}`);

  const entries = new Map<string, ZipEntry>();
  const spans: { start: number; end: number; name: string }[] = [];
  const utf8 = new TextDecoder("utf-8");
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd || dv.getUint32(p, true) !== SIG_CENTRAL) throw new FormatError(`${file}: central directory entry ${i} malformed at byte ${p}`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true), extraLen = dv.getUint16(p + 30, true), commentLen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) throw new FormatError(`${file}: central directory entry ${i} runs past the directory at byte ${p}`);
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    const name = utf8.decode(nameBytes);
    const q = quote(name);
    // zip64 extended info (tag 1) carries, in order, only the fields whose 32-bit slot is 0xFFFFFFFF.
    const extraEnd = p + 46 + nameLen + extraLen;
    for (let e = p + 46 + nameLen; e + 4 <= extraEnd;) {
      const tag = dv.getUint16(e, true), len = dv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) throw new FormatError(`${file}: entry ${q}: extra field at byte ${e} runs past the central directory entry`);
      if (tag === 1) {
        let x = e + 4;
        const take = (what: string) => { if (x + 8 > e + 4 + len) throw new FormatError(`${file}: entry ${q}: zip64 extra field too short for ${what}`); const v = u64(dv, x, file, what); x += 8; return v; };
        if (usize === 0xffffffff) usize = take("size");
        if (csize === 0xffffffff) csize = take("compressed size");
        if (local === 0xffffffff) local = take("local header offset");
      }
      e += 4 + len;
    }
    // Two records with one name: which holds the tensor would depend on the reader (others take the last).
    if (entries.has(name)) throw new FormatError(`${file}: the central directory names entry ${q} twice (the second at byte ${p}); refusing to guess which one holds the data`);
    const { start, end } = checkLocal(bytes, dv, file, { name: q, nameBytes, flags, method, crc, csize, usize, local }, cdOffset);
    spans.push({ start: local, end, name: q });
    entries.set(name, makeEntry(bytes, file, name, q, { flags, method, crc, csize, usize, start }));
    p = next;
  }
  if (p !== cdEnd) throw new FormatError(`${file}: the central directory is ${cdSize} bytes but its ${count} entries end at byte ${p - cdOffset} of it`);
  // Entries may not share bytes: one entry's data must not be another's header or data.
  spans.sort((a, b) => a.start - b.start);
  for (let k = 1; k < spans.length; k++) {
    const a = spans[k - 1]!, b = spans[k]!;
    if (b.start < a.end) throw new FormatError(`${file}: entries ${a.name} [${a.start}, ${a.end}) and ${b.name} (local header at byte ${b.start}) overlap`);
  }
  return entries;
}

interface CentralRecord { name: string; nameBytes: Uint8Array; flags: number; method: number; crc: number; csize: number; usize: number; local: number }

/**
 * The local header of an entry must say what its central record says (name, method, encryption and data-descriptor
 * flags, and CRC and sizes, or with a data descriptor (flag 8) that descriptor after the data), and the entry must
 * end before the central directory. Returns where its data starts and where the entry (descriptor included) ends.
 */
function checkLocal(bytes: Uint8Array, dv: DataView, file: string, c: CentralRecord, cdOffset: number): { start: number; end: number } {
  const at = `${file}: entry ${c.name} (local header at byte ${c.local})`;
  if (c.local + 30 > cdOffset || dv.getUint32(c.local, true) !== SIG_LOCAL) throw new FormatError(`${at}: no local header there`);
  const nameLen = dv.getUint16(c.local + 26, true), extraLen = dv.getUint16(c.local + 28, true);
  const localName = bytes.subarray(c.local + 30, Math.min(c.local + 30 + nameLen, bytes.byteLength));
  if (nameLen !== c.nameBytes.length || !sameBytes(localName, c.nameBytes)) {
    throw new FormatError(`${at}: the local header names ${quote(new TextDecoder().decode(localName))}, the central directory ${c.name}`);
  }
  const flags = dv.getUint16(c.local + 6, true), method = dv.getUint16(c.local + 8, true);
  if (method !== c.method) throw new FormatError(`${at}: compression method ${method} in the local header, ${c.method} in the central directory`);
  if ((flags ^ c.flags) & 9) throw new FormatError(`${at}: flags 0x${flags.toString(16)} in the local header, 0x${c.flags.toString(16)} in the central directory`);
  const start = c.local + 30 + nameLen + extraLen, dataEnd = start + c.csize;
  if (dataEnd > cdOffset) throw new FormatError(`${at}: data [${start}, +${c.csize}] runs into the central directory at byte ${cdOffset}`);
  const lcrc = dv.getUint32(c.local + 14, true);
  let lcsize = dv.getUint32(c.local + 18, true), lusize = dv.getUint32(c.local + 22, true);
  const differs = (what: string) => new FormatError(`${at}: ${what} differs from the central directory's (CRC 0x${hex(c.crc)}, size ${c.usize}, compressed ${c.csize})`);
  if (!(c.flags & 8)) {
    // zip64 sizes live in the local header's own extra field (both sizes, uncompressed first).
    if (lcsize === 0xffffffff || lusize === 0xffffffff) {
      for (let e = c.local + 30 + nameLen; e + 4 <= start; e += 4 + dv.getUint16(e + 2, true)) {
        if (dv.getUint16(e, true) === 1 && e + 20 <= start) { lusize = u64(dv, e + 4, file, "size"); lcsize = u64(dv, e + 12, file, "compressed size"); }
      }
    }
    if (lcrc !== c.crc || lcsize !== c.csize || lusize !== c.usize) throw differs(`the local header's CRC 0x${hex(lcrc)}, size ${lusize}, compressed ${lcsize}`);
    return { start, end: dataEnd };
  }
  // Data descriptor: the local fields are zero (torch) or already right; the descriptor (optionally signed) follows
  // the data with the CRC and both sizes, 4 bytes each or 8 in zip64 archives.
  if (!(lcrc === 0 && lcsize === 0 && lusize === 0) && !(lcrc === c.crc && lcsize === c.csize && lusize === c.usize)) {
    throw differs(`the local header's CRC 0x${hex(lcrc)}, size ${lusize}, compressed ${lcsize}`);
  }
  const d = dataEnd + 4 <= cdOffset && dv.getUint32(dataEnd, true) === SIG_DESCRIPTOR ? dataEnd + 4 : dataEnd;
  if (d + 12 <= cdOffset && dv.getUint32(d, true) === c.crc) {
    if (dv.getUint32(d + 4, true) === c.csize && dv.getUint32(d + 8, true) === c.usize) return { start, end: d + 12 };
    if (d + 20 <= cdOffset && u64(dv, d + 4, file, "descriptor size") === c.csize && u64(dv, d + 12, file, "descriptor size") === c.usize) return { start, end: d + 20 };
  }
  throw differs(`the data descriptor at byte ${dataEnd}`);
}

function makeEntry(bytes: Uint8Array, file: string, rawName: string, name: string,
  { flags, method, crc, csize, usize, start }: { flags: number; method: number; crc: number; csize: number; usize: number; start: number }): ZipEntry {
  let verified = false;
  return {
    name: rawName, method, size: usize,
    data(): Uint8Array {
      if (flags & 1) throw new FormatError(`${file}: entry ${name} is encrypted`);
      if (method !== 0) throw new FormatError(`${file}: entry ${name} is compressed (method ${method}); only stored entries are read, as torch.save writes them`);
      if (csize !== usize) throw new FormatError(`${file}: stored entry ${name} has compressed size ${csize} ≠ size ${usize}`);
      const data = bytes.subarray(start, start + usize);
      // Checked on first read, so entries never read cost nothing.
      if (!verified) {
        const got = crc32(data);
        if (got !== crc) {
          throw new FormatError(`${file}: entry ${name} (bytes ${start}…${start + usize}): CRC-32 is 0x${hex(got)}, the central directory says 0x${hex(crc)}; the file is damaged or was altered`);
        }
        verified = true;
      }
      return data;
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
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
