// Reference zip writer and strict reader for the fuzz oracles, written apart from src/io/zip.ts on purpose. The writer
// lays out archives as torch.save does (data descriptors, 64-byte aligned data, zip64 on request) with correct
// CRC-32s and records where every header field sits, so mutators can aim at fields. The reader is strict: it says
// which bytes each central-directory entry names, or why the archive is inconsistent.
import { concatBytes, putLE } from "../rand.js";

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; }
  return t;
})();

/** CRC-32 (IEEE), one byte at a time: slow and obviously right. */
export function refCrc32(b: Uint8Array): number {
  let c = crcs.get(b);
  if (c === undefined) crcs.set(b, (c = crcOf(b)));
  return c;
}
// Seeds' entries are the same arrays input after input: their CRCs are computed once.
const crcs = new WeakMap<Uint8Array, number>();

function crcOf(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipIn { name: string; data: Uint8Array; method?: number; nameBytes?: Uint8Array }
export interface WriteOptions { descriptor?: boolean; zip64?: boolean; align?: number }
/** A header field of a written archive: name ("central[2].crc"), byte offset, width. */
export interface Field { name: string; at: number; width: 1 | 2 | 4 | 8 }

/** An archive with correct CRCs, and where its fields are. */
export function writeZip(entries: ZipIn[], opts: WriteOptions = {}): { bytes: Uint8Array; fields: Field[] } {
  const enc = new TextEncoder(), parts: Uint8Array[] = [], central: Uint8Array[] = [], fields: Field[] = [];
  const z64 = !!opts.zip64, desc = !!opts.descriptor, flags = (desc ? 8 : 0) | 0x800;
  let pos = 0;
  const locals: number[] = [];
  entries.forEach((e, i) => {
    const name = e.nameBytes ?? enc.encode(e.name), crc = refCrc32(e.data), n = e.data.length;
    const z64extra = z64 && !desc ? 20 : 0;
    let pad = 0;
    if (opts.align) { const start = pos + 30 + name.length + z64extra + 4; pad = ((opts.align - (start % opts.align)) % opts.align) + 4; }
    const local = new Uint8Array(30 + name.length + z64extra + pad);
    putLE(local, 0, 4, 0x04034b50); putLE(local, 4, 2, z64 ? 45 : 20); putLE(local, 6, 2, flags); putLE(local, 8, 2, e.method ?? 0);
    if (!desc) { putLE(local, 14, 4, crc); putLE(local, 18, 4, z64 ? 0xffffffff : n); putLE(local, 22, 4, z64 ? 0xffffffff : n); }
    putLE(local, 26, 2, name.length); putLE(local, 28, 2, z64extra + pad);
    local.set(name, 30);
    let x = 30 + name.length;
    if (z64extra) { putLE(local, x, 2, 1); putLE(local, x + 2, 2, 16); putLE(local, x + 4, 8, n); putLE(local, x + 12, 8, n); x += 20; }
    if (pad) { putLE(local, x, 2, 0x4246); putLE(local, x + 2, 2, pad - 4); }
    for (const [f, at, w] of [["sig", 0, 4], ["flags", 6, 2], ["method", 8, 2], ["crc", 14, 4], ["csize", 18, 4], ["usize", 22, 4],
      ["nameLen", 26, 2], ["extraLen", 28, 2], ["name", 30, 1]] as const) fields.push({ name: `local[${i}].${f}`, at: pos + at, width: w });
    locals.push(pos);
    parts.push(local, e.data);
    pos += local.length + n;
    if (desc) {
      const d = new Uint8Array(z64 ? 24 : 16);
      putLE(d, 0, 4, 0x08074b50); putLE(d, 4, 4, crc);
      if (z64) { putLE(d, 8, 8, n); putLE(d, 16, 8, n); } else { putLE(d, 8, 4, n); putLE(d, 12, 4, n); }
      fields.push({ name: `desc[${i}].crc`, at: pos + 4, width: 4 }, { name: `desc[${i}].size`, at: pos + 8, width: z64 ? 8 : 4 });
      parts.push(d);
      pos += d.length;
    }
    const cextra = z64 ? 28 : 0;
    const c = new Uint8Array(46 + name.length + cextra);
    putLE(c, 0, 4, 0x02014b50); putLE(c, 4, 2, z64 ? 45 : 20); putLE(c, 6, 2, z64 ? 45 : 20); putLE(c, 8, 2, flags);
    putLE(c, 10, 2, e.method ?? 0); putLE(c, 16, 4, crc);
    putLE(c, 20, 4, z64 ? 0xffffffff : n); putLE(c, 24, 4, z64 ? 0xffffffff : n);
    putLE(c, 28, 2, name.length); putLE(c, 30, 2, cextra); putLE(c, 42, 4, z64 ? 0xffffffff : locals[i]!);
    c.set(name, 46);
    if (z64) { const q = 46 + name.length; putLE(c, q, 2, 1); putLE(c, q + 2, 2, 24); putLE(c, q + 4, 8, n); putLE(c, q + 12, 8, n); putLE(c, q + 20, 8, locals[i]!); }
    central.push(c);
  });
  const cdOffset = pos;
  let at = cdOffset;
  central.forEach((c, i) => {
    for (const [f, o, w] of [["sig", 0, 4], ["flags", 8, 2], ["method", 10, 2], ["crc", 16, 4], ["csize", 20, 4], ["usize", 24, 4],
      ["nameLen", 28, 2], ["extraLen", 30, 2], ["commentLen", 32, 2], ["offset", 42, 4], ["name", 46, 1]] as const) fields.push({ name: `central[${i}].${f}`, at: at + o, width: w });
    if (z64) { const q = at + 46 + (c.length - 46 - 28); fields.push({ name: `central[${i}].z64size`, at: q + 4, width: 8 }, { name: `central[${i}].z64offset`, at: q + 20, width: 8 }); }
    at += c.length;
  });
  const cdSize = at - cdOffset;
  parts.push(...central);
  pos = at;
  if (z64) {
    const rec = new Uint8Array(56 + 20);
    putLE(rec, 0, 4, 0x06064b50); putLE(rec, 4, 8, 44); putLE(rec, 12, 2, 45); putLE(rec, 14, 2, 45);
    putLE(rec, 24, 8, entries.length); putLE(rec, 32, 8, entries.length); putLE(rec, 40, 8, cdSize); putLE(rec, 48, 8, cdOffset);
    putLE(rec, 56, 4, 0x07064b50); putLE(rec, 64, 8, pos); putLE(rec, 72, 4, 1);
    for (const [f, o, w] of [["count", 32, 8], ["cdSize", 40, 8], ["cdOffset", 48, 8], ["locator", 64, 8]] as const) fields.push({ name: `eocd64.${f}`, at: pos + o, width: w });
    parts.push(rec);
    pos += rec.length;
  }
  const eocd = new Uint8Array(22);
  putLE(eocd, 0, 4, 0x06054b50);
  putLE(eocd, 8, 2, z64 ? 0xffff : entries.length); putLE(eocd, 10, 2, z64 ? 0xffff : entries.length);
  putLE(eocd, 12, 4, z64 ? 0xffffffff : cdSize); putLE(eocd, 16, 4, z64 ? 0xffffffff : cdOffset);
  for (const [f, o, w] of [["sig", 0, 4], ["disk", 4, 2], ["countDisk", 8, 2], ["count", 10, 2], ["cdSize", 12, 4], ["cdOffset", 16, 4], ["commentLen", 20, 2]] as const) {
    fields.push({ name: `eocd.${f}`, at: pos + o, width: w });
  }
  parts.push(eocd);
  return { bytes: concatBytes(parts), fields };
}

/** An entry as the strict reader sees it: the bytes its central record names. */
/** An entry as the strict reader sees it: `start`/`end` span its local header to its descriptor, `data` its bytes. */
export interface RefEntry {
  name: string; method: number; flags: number; crc: number; size: number; csize: number;
  start: number; end: number; dataStart: number; dataEnd: number;
}

/** Thrown by readRefZip: the archive is not one consistent zip. */
export class RefReject extends Error {}

/**
 * Every central-directory entry of `b`, checked the strict way: local header equal to the central record (name,
 * method, flags, and CRC/sizes or the data descriptor after the data), entries inside the file, before the central
 * directory and not overlapping, names unique, the directory exactly as long as its entries. CRCs are not checked
 * here (crcOk does it for the entries a caller read).
 */
export function readRefZip(b: Uint8Array): RefEntry[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const no = (why: string): never => { throw new RefReject(why); };
  const u16 = (at: number) => (at + 2 <= b.length ? dv.getUint16(at, true) : no(`u16 at ${at} past end`));
  const u32 = (at: number) => (at + 4 <= b.length ? dv.getUint32(at, true) : no(`u32 at ${at} past end`));
  const u64 = (at: number) => { const v = u32(at + 4) * 2 ** 32 + u32(at); return Number.isSafeInteger(v) ? v : no(`u64 at ${at} too large`); };
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) if (u32(i) === 0x06054b50 && i + 22 + u16(i + 20) <= b.length) { eocd = i; break; }
  if (eocd < 0) no("no EOCD");
  let count = u16(eocd + 10), cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16), end = eocd;
  if (eocd >= 20 && u32(eocd - 20) === 0x07064b50) {
    const rec = u64(eocd - 12);
    if (rec + 56 > eocd - 20 || u32(rec) !== 0x06064b50) no("bad zip64 record");
    count = u64(rec + 32); cdSize = u64(rec + 40); cdOffset = u64(rec + 48); end = rec;
  } else if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0 || u16(eocd + 8) !== count) no("multi-disk");
  if (cdOffset + cdSize > end) no("central directory past its end record");
  const out: RefEntry[] = [];
  const dec = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || u32(p) !== 0x02014b50) no(`central ${i} bad`);
    const flags = u16(p + 8), method = u16(p + 10), crc = u32(p + 16);
    let csize = u32(p + 20), size = u32(p + 24), local = u32(p + 42);
    const nl = u16(p + 28), xl = u16(p + 30), cl = u16(p + 32);
    const nameBytes = b.subarray(p + 46, p + 46 + nl);
    for (let e = p + 46 + nl; e < p + 46 + nl + xl;) {
      const tag = u16(e), len = u16(e + 2);
      if (e + 4 + len > p + 46 + nl + xl) no("extra field overruns");
      if (tag === 1) {
        let q = e + 4;
        const take = () => { if (q + 8 > e + 4 + len) no("zip64 extra short"); const v = u64(q); q += 8; return v; };
        if (size === 0xffffffff) size = take();
        if (csize === 0xffffffff) csize = take();
        if (local === 0xffffffff) local = take();
      }
      e += 4 + len;
    }
    p += 46 + nl + xl + cl;
    if (p > cdOffset + cdSize) no(`central ${i} overruns`);
    if (u32(local) !== 0x04034b50) no(`local ${i} signature`);
    const lnl = u16(local + 26), lxl = u16(local + 28);
    if (lnl !== nl || !b.subarray(local + 30, local + 30 + lnl).every((x, k) => x === nameBytes[k])) no(`local ${i} name`);
    if (u16(local + 8) !== method || (u16(local + 6) & 9) !== (flags & 9)) no(`local ${i} method/flags`);
    const start = local + 30 + lnl + lxl, dataEnd = start + csize;
    let stop = dataEnd;
    if (flags & 8) {
      const lc = u32(local + 14), ls = u32(local + 18), lu = u32(local + 22);
      if (!(lc === 0 && ls === 0 && lu === 0) && !(lc === crc && ls === csize && lu === size)) no(`local ${i} descriptor-mode fields`);
      const q = u32(dataEnd) === 0x08074b50 ? dataEnd + 4 : dataEnd;
      if (u32(q) !== crc) no(`descriptor ${i} crc`);
      if (q + 12 <= end && u32(q + 4) === csize && u32(q + 8) === size) stop = q + 12;
      else if (q + 20 <= end && u64(q + 4) === csize && u64(q + 12) === size) stop = q + 20;
      else no(`descriptor ${i} sizes`);
    } else {
      let ls = u32(local + 18), lu = u32(local + 22);
      if (ls === 0xffffffff || lu === 0xffffffff) {
        for (let e = local + 30 + lnl; e + 4 <= start; e += 4 + u16(e + 2)) if (u16(e) === 1) { lu = u64(e + 4); ls = u64(e + 12); }
      }
      if (u32(local + 14) !== crc || ls !== csize || lu !== size) no(`local ${i} crc/sizes`);
    }
    if (stop > cdOffset) no(`entry ${i} runs into the central directory`);
    out.push({ name: dec.decode(nameBytes), method, flags, crc, size, csize, start: local, end: stop, dataStart: start, dataEnd });
  }
  if (p !== cdOffset + cdSize) no("central directory size disagrees with its entries");
  const sorted = out.slice().sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.end) no("entries overlap");
  const names = new Set<string>();
  for (const e of out) { if (names.has(e.name)) no(`duplicate name`); names.add(e.name); }
  return out;
}

/** The entry's data, if it may be read: stored, not encrypted, sizes equal, CRC right. Otherwise the reason. */
export function readRefEntry(b: Uint8Array, e: RefEntry): Uint8Array | string {
  if (e.flags & 1) return "encrypted";
  if (e.method !== 0) return "compressed";
  if (e.csize !== e.size) return "stored sizes differ";
  const data = b.subarray(e.dataStart, e.dataEnd);
  return refCrc32(data) === e.crc ? data : "crc mismatch";
}
