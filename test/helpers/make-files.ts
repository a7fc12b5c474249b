// Builders for checkpoint files in tests, well-formed or hostile: raw safetensors, zips (stored, compressed
// or zip64), and pickles assembled opcode by opcode, so no test needs Python, torch or fixtures.
import { crc32 } from "../../src/io/crc32.js";

/** A safetensors file from a literal header object (any JSON, or a raw string) and data bytes. */
export function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerLen ?? json.byteLength, true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

export interface ZipInput { name: string; data: Uint8Array; method?: number }

/** A zip archive with the given entries (data written as given, whatever `method` claims). `zip64` writes
 *  the zip64 end records and 0xFFFFFFFF placeholders with a zip64 extra field, as large torch files do. */
export function makeZip(entries: ZipInput[], opts: { zip64?: boolean; align?: number } = {}): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let pos = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    // Pad the local extra field so data starts aligned, like torch's "FB" padding record.
    let pad = 0;
    if (opts.align) { const start = pos + 30 + name.length; pad = (opts.align - ((start + 4) % opts.align)) % opts.align + 4; }
    const local = new Uint8Array(30 + name.length + pad);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, e.method ?? 0, true);
    lv.setUint32(14, crc32(e.data), true);
    lv.setUint32(18, e.data.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, pad, true);
    local.set(name, 30);
    if (pad) { lv.setUint16(30 + name.length, 0x4246, true); lv.setUint16(32 + name.length, pad - 4, true); }
    const extra = opts.zip64 ? 4 + 24 : 0;
    const c = new Uint8Array(46 + name.length + extra);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, e.method ?? 0, true);
    cv.setUint32(16, crc32(e.data), true);
    cv.setUint32(20, opts.zip64 ? 0xffffffff : e.data.length, true);
    cv.setUint32(24, opts.zip64 ? 0xffffffff : e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, extra, true);
    cv.setUint32(42, opts.zip64 ? 0xffffffff : pos, true);
    c.set(name, 46);
    if (opts.zip64) {
      const x = 46 + name.length;
      cv.setUint16(x, 1, true);
      cv.setUint16(x + 2, 24, true);
      cv.setBigUint64(x + 4, BigInt(e.data.length), true); // size
      cv.setBigUint64(x + 12, BigInt(e.data.length), true); // compressed size
      cv.setBigUint64(x + 20, BigInt(pos), true); // local header offset
    }
    central.push(c);
    parts.push(local, e.data);
    pos += local.length + e.data.length;
  }
  const cdOffset = pos;
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  parts.push(...central);
  pos += cdSize;
  if (opts.zip64) {
    const rec = new Uint8Array(56 + 20);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setBigUint64(24, BigInt(entries.length), true);
    rv.setBigUint64(32, BigInt(entries.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(cdOffset), true);
    rv.setUint32(56, 0x07064b50, true);
    rv.setBigUint64(64, BigInt(pos), true);
    rv.setUint32(72, 1, true);
    parts.push(rec);
  }
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, opts.zip64 ? 0xffff : entries.length, true);
  ev.setUint16(10, opts.zip64 ? 0xffff : entries.length, true);
  ev.setUint32(12, opts.zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, opts.zip64 ? 0xffffffff : cdOffset, true);
  parts.push(eocd);
  return concat(parts);
}

/** Assembles a pickle opcode by opcode (protocol 2 unless told otherwise). */
export class PickleWriter {
  private readonly out: number[] = [];
  bytes(): Uint8Array { return Uint8Array.from(this.out); }
  raw(...b: number[]): this { this.out.push(...b); return this; }
  proto(v = 2): this { return this.raw(0x80, v); }
  global(module: string, name: string): this { return this.raw(0x63, ...ascii(`${module}\n${name}\n`)); }
  stackGlobal(module: string, name: string): this { return this.shortUnicode(module).shortUnicode(name).raw(0x93); }
  unicode(s: string): this { const b = new TextEncoder().encode(s); return this.raw(0x58, ...le32(b.length), ...b); }
  shortUnicode(s: string): this { const b = new TextEncoder().encode(s); return this.raw(0x8c, b.length, ...b); }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.raw(0x4b, v);
    if (v >= 0 && v < 65536) return this.raw(0x4d, v & 0xff, v >> 8);
    if (v >= -(2 ** 31) && v < 2 ** 31) return this.raw(0x4a, ...le32(v));
    const b: number[] = [];
    let x = BigInt(v);
    for (let i = 0; i < 8; i++) { b.push(Number(x & 0xffn)); x >>= 8n; }
    return this.raw(0x8a, 8, ...b);
  }
  mark(): this { return this.raw(0x28); }
  tuple(): this { return this.raw(0x74); }
  tuple1(): this { return this.raw(0x85); }
  tuple2(): this { return this.raw(0x86); }
  emptyTuple(): this { return this.raw(0x29); }
  emptyDict(): this { return this.raw(0x7d); }
  reduce(): this { return this.raw(0x52); }
  build(): this { return this.raw(0x62); }
  persid(): this { return this.raw(0x51); }
  setitem(): this { return this.raw(0x73); }
  setitems(): this { return this.raw(0x75); }
  put(i: number): this { return this.raw(0x71, i); }
  get(i: number): this { return this.raw(0x68, i); }
  newFalse(): this { return this.raw(0x89); }
  stop(): this { return this.raw(0x2e); }
}

export interface FakeTensor { name: string; storage: string; type?: string; numel: number; offset?: number; size: number[]; stride?: number[] }

/** The data.pkl torch.save writes for a state dict: OrderedDict REDUCE, SETITEMS of _rebuild_tensor_v2
 *  calls on persistent storages, then the BUILD of `_metadata`. */
export function torchStateDictPickle(tensors: FakeTensor[]): Uint8Array {
  const w = new PickleWriter().proto(2).global("collections", "OrderedDict").emptyTuple().reduce().mark();
  for (const t of tensors) {
    w.unicode(t.name).global("torch._utils", "_rebuild_tensor_v2").mark();
    w.mark().unicode("storage").global("torch", t.type ?? "FloatStorage").unicode(t.storage).unicode("cpu").int(t.numel).tuple().persid();
    w.int(t.offset ?? 0);
    const stride = t.stride ?? t.size.map((_, i) => t.size.slice(i + 1).reduce((a, b) => a * b, 1));
    w.mark(); for (const d of t.size) w.int(d); w.tuple();
    w.mark(); for (const s of stride) w.int(s); w.tuple();
    w.newFalse().global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
  }
  w.setitems();
  w.mark().unicode("_metadata").global("collections", "OrderedDict").emptyTuple().reduce().raw(0x64).build();
  return w.stop().bytes();
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function ascii(s: string): number[] { return [...s].map((c) => c.charCodeAt(0)); }
function le32(v: number): number[] { return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]; }
