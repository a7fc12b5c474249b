// Seeded randomness and byte-level mutators shared by every fuzz target. One generator per input, seeded from
// (parser, seed, index), so any input is rebuilt exactly from those three numbers (`--repro`).
import { rng, seedOf } from "../../src/contract/random.js";

/** Integers parsers trip on: boundaries of u8/u16/u32/i32, 2^53, and sizes near the fixtures' own. */
export const INTERESTING = [
  0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1023, 1024, 4095, 4096, 65535, 65536,
  2 ** 20, 2 ** 20 + 1, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2,
  2 ** 63, 2 ** 64, 1e308, -1, -2, -(2 ** 31), -(2 ** 53), 0.5, 1.5, -0.5,
];

export class Rand {
  private readonly next: () => number;
  constructor(seed: number) { this.next = rng(seed); }
  /** The generator of input `i` of `parser` in run `seed`. */
  static of(parser: string, seed: number, i: number): Rand { return new Rand(seedOf(`${parser}:${seed}:${i}`)); }
  float(): number { return this.next(); }
  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  /** A count skewed to small values: half below ~√max, rarely near max. */
  small(max: number): number { return Math.floor(Math.pow(max + 1, this.next() * this.next())); }
  interesting(): number { return this.pick(INTERESTING); }
  bytes(n: number): Uint8Array { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b; }
  /** One of `items` with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let w = this.next() * items.reduce((s, [x]) => s + x, 0);
    for (const [x, v] of items) { if ((w -= x) < 0) return v; }
    return items[items.length - 1]![1];
  }
}

/** Little-endian integer writes that clip instead of throwing (a mutated field may not fit). */
export function putLE(b: Uint8Array, at: number, width: 1 | 2 | 4 | 8, v: number): void {
  let x = BigInt.asUintN(64, BigInt(Math.trunc(Number.isFinite(v) ? Math.min(Math.max(v, -(2 ** 63)), 2 ** 64 - 1) : 0)));
  for (let k = 0; k < width && at + k < b.length; k++) { if (at + k >= 0) b[at + k] = Number(x & 0xffn); x >>= 8n; }
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * One random byte-level edit of a copy of `b` (bit flip, byte or integer overwrite, insertion, deletion,
 * duplication, truncation, extension), optionally inside [lo, hi). Returns the new bytes and what was done.
 */
export function mutateBytes(r: Rand, b: Uint8Array, lo = 0, hi = b.length): { bytes: Uint8Array; what: string } {
  const at = lo + r.int(Math.max(1, hi - lo));
  const op = r.pick(["flip", "byte", "int", "insert", "delete", "dup", "truncate", "extend", "copy"] as const);
  switch (op) {
    case "flip": { const o = b.slice(); if (at < o.length) o[at] ^= 1 << r.int(8); return { bytes: o, what: `flip@${at}` }; }
    case "byte": { const o = b.slice(); if (at < o.length) o[at] = r.pick([0, 0xff, 0x7f, 0x80, r.int(256)]); return { bytes: o, what: `byte@${at}` }; }
    case "int": {
      const o = b.slice(), w = r.pick([1, 2, 4, 8] as const), v = r.chance(0.3) ? r.int(2 ** 31) : r.interesting();
      putLE(o, at, w, v);
      return { bytes: o, what: `int${w * 8}@${at}=${v}` };
    }
    case "insert": {
      const n = r.small(64) + 1, ins = r.chance(0.5) ? r.bytes(n) : new Uint8Array(n).fill(r.pick([0, 0xff, 0x20]));
      return { bytes: concatBytes([b.subarray(0, at), ins, b.subarray(at)]), what: `insert${n}@${at}` };
    }
    case "delete": { const n = r.small(256) + 1; return { bytes: concatBytes([b.subarray(0, at), b.subarray(at + n)]), what: `delete${n}@${at}` }; }
    case "dup": { const n = r.small(256) + 1; return { bytes: concatBytes([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]), what: `dup${n}@${at}` }; }
    case "truncate": return { bytes: b.slice(0, at), what: `truncate@${at}` };
    case "extend": { const n = r.small(4096) + 1; return { bytes: concatBytes([b, r.chance(0.5) ? new Uint8Array(n) : r.bytes(n)]), what: `extend${n}` }; }
    default: {
      const n = r.small(64) + 1, from = r.int(Math.max(1, b.length - n)), o = b.slice();
      o.set(b.subarray(from, from + n).slice(0, Math.max(0, o.length - at)), Math.min(at, o.length));
      return { bytes: o, what: `copy${n}:${from}->${at}` };
    }
  }
}
