// Pickle opcodes as a list, for structured mutation: a disassembler for the opcodes torch.save writes (and the rest
// of protocol 2–4 the unpickler knows), builders for single opcodes with chosen arguments, and an assembler.
import { concatBytes } from "../rand.js";

export interface Op { op: number; arg: Uint8Array }

const NO_ARG = new Set([0x2e, 0x28, 0x7d, 0x5d, 0x29, 0x4e, 0x88, 0x89, 0x74, 0x85, 0x86, 0x87, 0x6c, 0x64, 0x94, 0x30, 0x31, 0x32,
  0x93, 0x52, 0x81, 0x62, 0x73, 0x75, 0x61, 0x65, 0x51]);
const FIXED: Record<number, number> = { 0x80: 1, 0x95: 8, 0x4a: 4, 0x4b: 1, 0x4d: 2, 0x47: 8, 0x71: 1, 0x72: 4, 0x68: 1, 0x6a: 4 };
// Opcodes followed by a length of this many bytes, then that many bytes.
const COUNTED: Record<number, number> = { 0x8a: 1, 0x8b: 4, 0x58: 4, 0x8c: 1, 0x8d: 8, 0x54: 4, 0x55: 1, 0x42: 4, 0x43: 1 };

/** The opcodes of `b`; anything after an opcode it cannot size is kept as one raw op (op -1). */
export function disassemble(b: Uint8Array): Op[] {
  const ops: Op[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  while (p < b.length) {
    const op = b[p]!, s = p + 1;
    let n: number;
    if (NO_ARG.has(op)) { ops.push({ op, arg: NONE }); p = s; continue; }
    else if (op in FIXED) n = FIXED[op]!;
    else if (op in COUNTED) {
      const w = COUNTED[op]!;
      if (s + w > b.length) break;
      const len = w === 1 ? b[s]! : w === 4 ? dv.getUint32(s, true) : dv.getUint32(s, true) + dv.getUint32(s + 4, true) * 2 ** 32;
      n = w + len;
    } else if (op === 0x63) {
      const a = b.indexOf(0x0a, s), c = a < 0 ? -1 : b.indexOf(0x0a, a + 1);
      if (c < 0) break;
      n = c + 1 - s;
    } else break;
    if (s + n > b.length) break;
    ops.push({ op, arg: b.subarray(s, s + n) });
    p = s + n;
  }
  if (p < b.length) ops.push({ op: -1, arg: b.subarray(p) });
  return ops;
}

export function assemble(ops: Op[]): Uint8Array {
  let n = 0;
  for (const o of ops) n += (o.op < 0 ? 0 : 1) + o.arg.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const o of ops) {
    if (o.op >= 0) out[at++] = o.op;
    if (o.arg.length) { out.set(o.arg, at); at += o.arg.length; }
  }
  return out;
}

const NONE = new Uint8Array(0);

const le = (v: number, w: number) => {
  const a = new Uint8Array(w);
  if (w <= 4) { for (let i = 0, x = Math.trunc(v) >>> 0; i < w; i++, x >>>= 8) a[i] = x & 0xff; return a; }
  let x = BigInt.asUintN(w * 8, BigInt(Math.trunc(v)));
  for (let i = 0; i < w; i++) { a[i] = Number(x & 0xffn); x >>= 8n; }
  return a;
};
const utf8 = (s: string) => new TextEncoder().encode(s);

export const ops = {
  simple: (op: number): Op => ({ op, arg: NONE }),
  int(v: number): Op {
    if (Number.isInteger(v) && v >= 0 && v < 256) return { op: 0x4b, arg: le(v, 1) };
    if (Number.isInteger(v) && v >= 0 && v < 65536) return { op: 0x4d, arg: le(v, 2) };
    if (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return { op: 0x4a, arg: le(v, 4) };
    return { op: 0x8a, arg: concatBytes([Uint8Array.of(9), le(Number.isFinite(v) ? v : 0, 9)]) };
  },
  /** LONG1 of n bytes (n up to 255): integers far past 2^53. */
  long: (bytes: Uint8Array): Op => ({ op: 0x8a, arg: concatBytes([Uint8Array.of(bytes.length), bytes]) }),
  float: (v: number): Op => { const a = new Uint8Array(8); new DataView(a.buffer).setFloat64(0, v, false); return { op: 0x47, arg: a }; },
  str(s: string | Uint8Array): Op { const b = typeof s === "string" ? utf8(s) : s; return b.length < 256 ? { op: 0x8c, arg: concatBytes([Uint8Array.of(b.length), b]) } : { op: 0x58, arg: concatBytes([le(b.length, 4), b]) }; },
  bytes: (b: Uint8Array): Op => ({ op: 0x42, arg: concatBytes([le(b.length, 4), b]) }),
  /** A length field that lies: claims `n` bytes, holds `have`. */
  lyingStr: (op: 0x58 | 0x8d | 0x42 | 0x54, n: number, have: Uint8Array): Op => ({ op, arg: concatBytes([le(n, op === 0x8d ? 8 : 4), have]) }),
  global: (module: string, name: string): Op => ({ op: 0x63, arg: utf8(`${module}\n${name}\n`) }),
  put: (k: number): Op => (k < 256 ? { op: 0x71, arg: le(k, 1) } : { op: 0x72, arg: le(k, 4) }),
  get: (k: number): Op => (k < 256 ? { op: 0x68, arg: le(k, 1) } : { op: 0x6a, arg: le(k, 4) }),
  frame: (n: number): Op => ({ op: 0x95, arg: le(n, 8) }),
  proto: (v: number): Op => ({ op: 0x80, arg: le(v, 1) }),
};

/** The opcodes that only move values around, for random insertion. */
export const PLAIN = [0x28, 0x7d, 0x5d, 0x29, 0x4e, 0x88, 0x89, 0x74, 0x85, 0x86, 0x87, 0x6c, 0x64, 0x94, 0x30, 0x31, 0x32, 0x93,
  0x52, 0x81, 0x62, 0x73, 0x75, 0x61, 0x65, 0x51, 0x2e];
