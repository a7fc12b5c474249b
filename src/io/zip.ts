// Minimal zip reader for torch.save archives: reads the central directory (zip64 too) and returns each
// STORED entry as a zero-copy subarray (readZip) or as a range read on demand from a RandomAccessFile (openZip).
// Hand-written rather than a zip library because those inflate into fresh buffers and want the whole archive: a
// 400+ MB pytorch_model.bin must be viewed in place or streamed entry by entry. torch writes stored only.
// Strict, so a mutated checkpoint cannot load bytes from the wrong place: local headers must match the central
// directory, names are unique, entries do not overlap, and each entry read has its CRC-32 checked.
// One parser serves both: it reads through `Bytes` (absolute offsets); openZip's Bytes holds only the regions
// fetched so far and asks for more (NeedBytes), and the parse is re-run until it has all it touches.
import { FormatError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { quote } from "./quote.js";
import type { RandomAccessFile } from "./random-access.js";

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

/** An entry of a streamed archive (openZip): the same checks as ZipEntry.data, the bytes read when asked. */
export interface StreamedZipEntry {
  readonly name: string;
  readonly method: number;
  readonly size: number;
  /** The entry's bytes (CRC-32 checked on every read); FormatError for compressed or encrypted entries. */
  read(): Promise<Uint8Array>;
}

/** Little-endian reads at absolute archive offsets; `sub` is a view. Out-of-file reads throw RangeError, as DataView does. */
interface Bytes {
  readonly size: number;
  u16(at: number): number;
  u32(at: number): number;
  sub(begin: number, end: number): Uint8Array;
}

/** What the parser found for one entry: where its data starts and its checked central record. */
interface Located { name: string; quoted: string; flags: number; method: number; crc: number; csize: number; usize: number; start: number }

/**
 * List the entries of a zip archive held in memory.
 * @example
 * const entries = readZip(bytes, "pytorch_model.bin");
 * const pkl = entries.get("archive/data.pkl")?.data();
 */
export function readZip(bytes: Uint8Array, file: string): Map<string, ZipEntry> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b: Bytes = { size: bytes.byteLength, u16: (at) => dv.getUint16(at, true), u32: (at) => dv.getUint32(at, true), sub: (x, y) => bytes.subarray(x, y) };
  const entries = new Map<string, ZipEntry>();
  for (const e of parseZip(b, file)) {
    let verified = false;
    entries.set(e.name, {
      name: e.name, method: e.method, size: e.usize,
      data() {
        checkStored(e, file);
        const data = bytes.subarray(e.start, e.start + e.usize);
        // Checked on first read, so entries never read cost nothing.
        if (!verified) { checkCrc(e, data, file); verified = true; }
        return data;
      },
    });
  }
  return entries;
}

/** Thrown by a streamed Bytes for a range not fetched yet; openZip fetches it and parses again. */
class NeedBytes { constructor(readonly begin: number, readonly end: number) {} }

/** Regions are fetched in pieces of at least this size: a data descriptor and the next local header come in one read. */
const REGION = 1 << 16;

/**
 * List the entries of a zip archive read through `f`: only the end records, the central directory and each entry's
 * local header (and data descriptor) are read now, with exactly readZip's checks; each entry's data is read by its
 * `read()`. Memory is the directory plus what callers read, whatever the archive's size.
 */
export async function openZip(f: RandomAccessFile, file: string): Promise<Map<string, StreamedZipEntry>> {
  const regions: { begin: number; bytes: Uint8Array; dv: DataView }[] = [];
  let last: (typeof regions)[number] | undefined; // the parse walks forward: most reads hit the region of the one before
  const find = (at: number, n: number) => {
    if (at < 0 || at + n > f.size) throw new RangeError("Offset is outside the bounds of the DataView");
    const hit = (r: (typeof regions)[number]) => at >= r.begin && at + n <= r.begin + r.bytes.byteLength;
    if (last && hit(last)) return last;
    last = regions.find(hit);
    if (last) return last;
    throw new NeedBytes(at, at + n);
  };
  const b: Bytes = {
    size: f.size,
    u16: (at) => { const r = find(at, 2); return r.dv.getUint16(at - r.begin, true); },
    u32: (at) => { const r = find(at, 4); return r.dv.getUint32(at - r.begin, true); },
    sub: (x, y) => {
      // Clamped to the file as Uint8Array.subarray clamps to the buffer.
      const [lo, hi] = [Math.min(Math.max(x, 0), f.size), Math.min(y, f.size)];
      if (hi <= lo) return new Uint8Array(0);
      const r = find(lo, hi - lo);
      return r.bytes.subarray(lo - r.begin, hi - r.begin);
    },
  };
  const fetch = async (begin: number, end: number) => {
    const e = Math.min(f.size, Math.max(end, begin + REGION));
    const bytes = await f.read(begin, e - begin);
    regions.push({ begin, bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  };
  // The end records live in the last 22 + 65535 (comment) bytes, zip64's just before them.
  const tail = Math.max(0, f.size - 22 - 0xffff - 20 - 56);
  await fetch(tail, f.size);
  let located: Located[];
  for (;;) {
    try { located = parseZip(b, file); break; } catch (e) {
      if (!(e instanceof NeedBytes)) throw e;
      await fetch(e.begin, e.end);
    }
  }
  const entries = new Map<string, StreamedZipEntry>();
  for (const e of located) {
    entries.set(e.name, {
      name: e.name, method: e.method, size: e.usize,
      async read() {
        checkStored(e, file);
        const data = await f.read(e.start, e.usize);
        checkCrc(e, data, file);
        return data;
      },
    });
  }
  return entries;
}

/** The strict parse shared by readZip and openZip: every entry's location, after every structural check. */
function parseZip(b: Bytes, file: string): Located[] {
  const eocd = findEocd(b);
  if (eocd < 0) throw new FormatError(`${file}: not a zip archive (no end-of-central-directory record)`);
  let count = b.u16(eocd + 10);
  let cdSize = b.u32(eocd + 12);
  let cdOffset = b.u32(eocd + 16);
  let cdLimit = eocd; // the central directory ends before the end record(s)
  // zip64: the classic record holds 0xFFFF… placeholders and a locator just before it points at the real one.
  if (eocd >= 20 && b.u32(eocd - 20) === SIG_LOC64) {
    const rec = u64(b, eocd - 20 + 8, file, "zip64 record offset");
    if (rec + 56 > eocd - 20 || b.u32(rec) !== SIG_EOCD64) throw new FormatError(`${file}: zip64 end-of-central-directory record missing at byte ${rec}`);
    count = u64(b, rec + 32, file, "entry count");
    cdSize = u64(b, rec + 40, file, "central directory size");
    cdOffset = u64(b, rec + 48, file, "central directory offset");
    cdLimit = rec;
  } else if (b.u16(eocd + 4) !== 0 || b.u16(eocd + 6) !== 0 || b.u16(eocd + 8) !== count) {
    throw new FormatError(`${file}: multi-disk (split) zip archives are not supported (end record at byte ${eocd})`);
  }
  if (cdOffset + cdSize > cdLimit) throw new FormatError(`${file}: central directory [${cdOffset}, +${cdSize}] runs past its end record at byte ${cdLimit}`);

  const out: Located[] = [];
  const names = new Set<string>();
  const spans: { start: number; end: number; name: string }[] = [];
  const utf8 = new TextDecoder("utf-8");
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd || b.u32(p) !== SIG_CENTRAL) throw new FormatError(`${file}: central directory entry ${i} malformed at byte ${p}`);
    const flags = b.u16(p + 8);
    const method = b.u16(p + 10);
    const crc = b.u32(p + 16);
    let csize = b.u32(p + 20);
    let usize = b.u32(p + 24);
    const nameLen = b.u16(p + 28), extraLen = b.u16(p + 30), commentLen = b.u16(p + 32);
    let local = b.u32(p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) throw new FormatError(`${file}: central directory entry ${i} runs past the directory at byte ${p}`);
    const nameBytes = b.sub(p + 46, p + 46 + nameLen);
    const name = utf8.decode(nameBytes);
    const q = quote(name);
    // zip64 extended info (tag 1) carries, in order, only the fields whose 32-bit slot is 0xFFFFFFFF.
    const extraEnd = p + 46 + nameLen + extraLen;
    for (let e = p + 46 + nameLen; e + 4 <= extraEnd;) {
      const tag = b.u16(e), len = b.u16(e + 2);
      if (e + 4 + len > extraEnd) throw new FormatError(`${file}: entry ${q}: extra field at byte ${e} runs past the central directory entry`);
      if (tag === 1) {
        let x = e + 4;
        const take = (what: string) => { if (x + 8 > e + 4 + len) throw new FormatError(`${file}: entry ${q}: zip64 extra field too short for ${what}`); const v = u64(b, x, file, what); x += 8; return v; };
        if (usize === 0xffffffff) usize = take("size");
        if (csize === 0xffffffff) csize = take("compressed size");
        if (local === 0xffffffff) local = take("local header offset");
      }
      e += 4 + len;
    }
    // Two records with one name: which holds the tensor would depend on the reader (others take the last).
    if (names.has(name)) throw new FormatError(`${file}: the central directory names entry ${q} twice (the second at byte ${p}); refusing to guess which one holds the data`);
    names.add(name);
    const { start, end } = checkLocal(b, file, { name: q, nameBytes, flags, method, crc, csize, usize, local }, cdOffset);
    spans.push({ start: local, end, name: q });
    out.push({ name, quoted: q, flags, method, crc, csize, usize, start });
    p = next;
  }
  if (p !== cdEnd) throw new FormatError(`${file}: the central directory is ${cdSize} bytes but its ${count} entries end at byte ${p - cdOffset} of it`);
  // Entries may not share bytes: one entry's data must not be another's header or data.
  spans.sort((x, y) => x.start - y.start);
  for (let k = 1; k < spans.length; k++) {
    const x = spans[k - 1]!, y = spans[k]!;
    if (y.start < x.end) throw new FormatError(`${file}: entries ${x.name} [${x.start}, ${x.end}) and ${y.name} (local header at byte ${y.start}) overlap`);
  }
  return out;
}

interface CentralRecord { name: string; nameBytes: Uint8Array; flags: number; method: number; crc: number; csize: number; usize: number; local: number }

/**
 * The local header of an entry must say what its central record says (name, method, encryption and data-descriptor
 * flags, and CRC and sizes, or with a data descriptor (flag 8) that descriptor after the data), and the entry must
 * end before the central directory. Returns where its data starts and where the entry (descriptor included) ends.
 */
function checkLocal(b: Bytes, file: string, c: CentralRecord, cdOffset: number): { start: number; end: number } {
  const at = `${file}: entry ${c.name} (local header at byte ${c.local})`;
  if (c.local + 30 > cdOffset || b.u32(c.local) !== SIG_LOCAL) throw new FormatError(`${at}: no local header there`);
  const nameLen = b.u16(c.local + 26), extraLen = b.u16(c.local + 28);
  const localName = b.sub(c.local + 30, Math.min(c.local + 30 + nameLen, b.size));
  if (nameLen !== c.nameBytes.length || !sameBytes(localName, c.nameBytes)) {
    throw new FormatError(`${at}: the local header names ${quote(new TextDecoder().decode(localName))}, the central directory ${c.name}`);
  }
  const flags = b.u16(c.local + 6), method = b.u16(c.local + 8);
  if (method !== c.method) throw new FormatError(`${at}: compression method ${method} in the local header, ${c.method} in the central directory`);
  if ((flags ^ c.flags) & 9) throw new FormatError(`${at}: flags 0x${flags.toString(16)} in the local header, 0x${c.flags.toString(16)} in the central directory`);
  const start = c.local + 30 + nameLen + extraLen, dataEnd = start + c.csize;
  if (dataEnd > cdOffset) throw new FormatError(`${at}: data [${start}, +${c.csize}] runs into the central directory at byte ${cdOffset}`);
  const lcrc = b.u32(c.local + 14);
  let lcsize = b.u32(c.local + 18), lusize = b.u32(c.local + 22);
  const differs = (what: string) => new FormatError(`${at}: ${what} differs from the central directory's (CRC 0x${hex(c.crc)}, size ${c.usize}, compressed ${c.csize})`);
  if (!(c.flags & 8)) {
    // zip64 sizes live in the local header's own extra field (both sizes, uncompressed first).
    if (lcsize === 0xffffffff || lusize === 0xffffffff) {
      for (let e = c.local + 30 + nameLen; e + 4 <= start; e += 4 + b.u16(e + 2)) {
        if (b.u16(e) === 1 && e + 20 <= start) { lusize = u64(b, e + 4, file, "size"); lcsize = u64(b, e + 12, file, "compressed size"); }
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
  const d = dataEnd + 4 <= cdOffset && b.u32(dataEnd) === SIG_DESCRIPTOR ? dataEnd + 4 : dataEnd;
  if (d + 12 <= cdOffset && b.u32(d) === c.crc) {
    if (b.u32(d + 4) === c.csize && b.u32(d + 8) === c.usize) return { start, end: d + 12 };
    if (d + 20 <= cdOffset && u64(b, d + 4, file, "descriptor size") === c.csize && u64(b, d + 12, file, "descriptor size") === c.usize) return { start, end: d + 20 };
  }
  throw differs(`the data descriptor at byte ${dataEnd}`);
}

/** A stored, unencrypted entry whose sizes agree, or a FormatError naming it. */
function checkStored(e: Located, file: string): void {
  if (e.flags & 1) throw new FormatError(`${file}: entry ${e.quoted} is encrypted`);
  if (e.method !== 0) throw new FormatError(`${file}: entry ${e.quoted} is compressed (method ${e.method}); only stored entries are read, as torch.save writes them`);
  if (e.csize !== e.usize) throw new FormatError(`${file}: stored entry ${e.quoted} has compressed size ${e.csize} ≠ size ${e.usize}`);
}

function checkCrc(e: Located, data: Uint8Array, file: string): void {
  const got = crc32(data);
  if (got !== e.crc) {
    throw new FormatError(`${file}: entry ${e.quoted} (bytes ${e.start}…${e.start + e.usize}): CRC-32 is 0x${hex(got)}, the central directory says 0x${hex(e.crc)}; the file is damaged or was altered`);
  }
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
function findEocd(b: Bytes): number {
  const stop = Math.max(0, b.size - 22 - 0xffff);
  for (let i = b.size - 22; i >= stop; i--) {
    if (b.u32(i) === SIG_EOCD && i + 22 + b.u16(i + 20) <= b.size) return i;
  }
  return -1;
}

function u64(b: Bytes, at: number, file: string, what: string): number {
  if (at + 8 > b.size) throw new FormatError(`${file}: zip ${what} at byte ${at} runs past the end of the file`);
  const v = b.u32(at + 4) * 2 ** 32 + b.u32(at);
  if (!Number.isSafeInteger(v)) throw new FormatError(`${file}: zip ${what} ${v} is too large`);
  return v;
}
