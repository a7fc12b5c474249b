// linear with q4 weights (W4A16): out = x·wᵀ + bias with w = f32(q·scale) (formats.ts q4 decode, exactly: q is an
// integer, one f32 multiply), f32 activations and f32 multiply-accumulate (madd: FMA in the relaxed build).
// w was packed at load (packQ4), same bytes: each full group of 8 rows is one panel of G·128 bytes (G = ⌈k/32⌉ groups;
// rows are padded to whole groups with q = 0), where group b's k-quad qq (k = 32b + 4qq …+3) is 16 bytes at 128b + 16qq:
// byte j (col j & 7) holds k + (j >> 3) in its low nibble and k + 2 + (j >> 3) in its high one, stored q + 8. So one
// v128 gives 4 k × 8 columns: and/shift, −8, widen to i32, convert, × the group's 8 column scales.
// Per chunk (row block × 64 columns), each pair of panels is dequantized that way into a per-thread f32 panel pair
// (k×8 each, the f32 kernel's layout) and the f32 register tiles (gemm-tile.ts) run over the block's rows, so the
// dequantization costs 1/rows of the multiply-adds. A block of one row (m = 1, or the last row of m = 128j + 1) instead
// unpacks each quad in registers (linear-q4-tile.ts), with the same steps per output, so the same bits. Scales stay as
// stored, [n, G] row-major. The n mod 8 tail rows stay row-major q4 (dequantized one row at a time, then dot()).
import { claim, COUNTER } from "./sched";
import { LinearQ4, PackQ4 } from "./generated/args";
import { dot, gemmStrip } from "./gemm-tile";
import { nibHi, nibLo, q4Tile1x16, q4Tile2x8, scales4, wHi, wLo } from "./linear-q4-tile";

const MB = 128; // rows per chunk
const PG = 8;   // 8-column panels per chunk
// Row blocks up to this size unpack in registers. Measured (1 thread, k 768, dequantized → in registers, GOP/s): m 1
// 4.5 → 6.7 (1×16 tile); m 2 with a 2×8 tile 0.94–1.11×, m 4 with 4×8 0.77–0.93×: from 2 rows on, a dequantized
// panel costs no more than unpacking once per 2–4 rows, and its tiles are faster.
const SMALL_ROWS = 1;

export function linearQ4(a: usize, tid: i32): void {
  const x = LinearQ4.x(a), w = LinearQ4.w(a), sc = LinearQ4.scales(a), bias = LinearQ4.bias(a), out = LinearQ4.out(a);
  const m = LinearQ4.m(a), n = LinearQ4.n(a), K = LinearQ4.k(a);
  const scratch = LinearQ4.scratch(a) + <usize>tid * <usize>LinearQ4.scratchStride(a); // 2 f32 panels of kp × 8
  const G = (K + 31) >> 5, ps = <usize>G << 10, panelBytes = <usize>G << 7;
  const lda = <usize>K << 2, ldc = <usize>n << 2;
  const panels = n >> 3, hasTail = (n & 7) != 0;
  const groups = (panels + PG - 1) / PG + (hasTail ? 1 : 0);
  const chunks = groups * ((m + MB - 1) / MB);
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const g = c % groups, rb = c / groups;
    const i0 = rb * MB, rows = min(m, i0 + MB) - i0;
    const pa = x + <usize>i0 * lda, pc = out + <usize>i0 * ldc;
    if (hasTail && g == groups - 1) { tailColumns(pa, w, sc, bias, pc, ldc, rows, n, K, G, scratch); continue; }
    if (rows <= SMALL_ROWS) { unpackedRow(pa, w, sc, G, K, pc, bias, g * PG, min(panels, g * PG + PG)); continue; }
    for (let p = g * PG, p1 = min(panels, p + PG); p < p1; p += 2) {
      const np = min(2, p1 - p);
      for (let q = 0; q < np; q++) dequantPanel(w + <usize>(p + q) * panelBytes, sc + (<usize>((p + q) << 3) * G << 2), G, scratch + <usize>q * ps);
      gemmStrip(pa, lda, rows, scratch, ps, np, K, pc + (<usize>p << 5), ldc, bias + (<usize>p << 5), bias != 0 ? 1 : 0);
    }
  }
}

/** Panels p … p1 − 1 for one row: 16 columns (two panels) at a time, an odd last panel as the pair (row, row). */
function unpackedRow(pa: usize, w: usize, sc: usize, G: i32, K: i32, pc: usize, bias: usize, p: i32, p1: i32): void {
  const panelBytes = <usize>G << 7, panelScales = <usize>G << 5;
  for (; p + 2 <= p1; p += 2) {
    q4Tile1x16(pa, w + <usize>p * panelBytes, panelBytes, sc + <usize>p * panelScales, G, K, pc + (<usize>p << 5), biasAt(bias, p));
  }
  if (p < p1) q4Tile2x8(pa, 0, w + <usize>p * panelBytes, sc + <usize>p * panelScales, G, K, pc + (<usize>p << 5), 0, biasAt(bias, p));
}

/** The bias of panel p's first column, or 0 (no bias). */
@inline function biasAt(bias: usize, p: i32): usize { return bias != 0 ? bias + (<usize>p << 5) : 0; }

/** 8 i16 lanes (one k, cols 0-7) → f32 · the column scales, stored as one k row of a k×8 panel. */
@inline function put(dst: usize, q: v128, s0: v128, s1: v128): void {
  v128.store(dst, wLo(q, s0));
  v128.store(dst, wHi(q, s1), 16);
}

/** One packed q4 panel (G groups) → a k×8 f32 panel at dst (G·32 k rows; padding rows are 0). */
function dequantPanel(pw: usize, psc: usize, G: i32, dst: usize): void {
  const g4 = <usize>G << 2;
  for (let b = 0; b < G; b++) {
    const ps = psc + (<usize>b << 2); // scale of (col c, group b) at ps + c·G·4
    const s0 = scales4(ps, g4), s1 = scales4(ps + 4 * g4, g4);
    for (let qq = 0; qq < 8; qq++) {
      const v = v128.load(pw), lo = nibLo(v), hi = nibHi(v);
      put(dst, i16x8.extend_low_i8x16_s(lo), s0, s1);
      put(dst + 32, i16x8.extend_high_i8x16_s(lo), s0, s1);
      put(dst + 64, i16x8.extend_low_i8x16_s(hi), s0, s1);
      put(dst + 96, i16x8.extend_high_i8x16_s(hi), s0, s1);
      pw += 16; dst += 128;
    }
  }
}

/** The n mod 8 row-major tail rows: dequantize row j (scalar) into tmp, then a dot per output row. */
function tailColumns(pa: usize, w: usize, sc: usize, bias: usize, pc: usize, ldc: usize, rows: i32, n: i32, K: i32, G: i32, tmp: usize): void {
  for (let j = n & ~7; j < n; j++) {
    const wr = w + (<usize>j * G << 4), sr = sc + (<usize>j * G << 2);
    for (let c = 0; c < K; c++) {
      const byte = <i32>load<u8>(wr + (c >> 1));
      const q = ((c & 1) != 0 ? byte >> 4 : byte & 15) - 8;
      store<f32>(tmp + (<usize>c << 2), <f32>q * load<f32>(sr + (<usize>(c >> 5) << 2)));
    }
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0;
    for (let i = 0; i < rows; i++) store<f32>(pc + <usize>i * ldc + (<usize>j << 2), dot(pa + (<usize>i * K << 2), tmp, K) + b);
  }
}

@inline function nibble(row: usize, k: i32): u32 {
  const byte = <u32>load<u8>(row + (k >> 1));
  return (k & 1) != 0 ? byte >> 4 : byte & 15;
}

// Pack q4 w [n,k] in place, one 8-row panel (G·128 bytes) per chunk, through per-thread scratch (layout: file header).
export function packQ4(a: usize, tid: i32): void {
  const w = PackQ4.w(a), n = PackQ4.n(a), K = PackQ4.k(a);
  const scratch = PackQ4.scratch(a) + <usize>tid * <usize>PackQ4.scratchStride(a);
  const G = (K + 31) >> 5, rowBytes = <usize>G << 4, bytes = rowBytes << 3;
  for (let p = claim(a + COUNTER); p < (n >> 3); p = claim(a + COUNTER)) {
    const base = w + <usize>p * bytes;
    memory.copy(scratch, base, bytes);
    for (let b = 0; b < G; b++) {
      for (let qq = 0; qq < 8; qq++) {
        for (let j = 0; j < 16; j++) {
          const row = scratch + <usize>(j & 7) * rowBytes, k = (b << 5) + (qq << 2) + (j >> 3);
          store<u8>(base + (<usize>b << 7) + (qq << 4) + j, nibble(row, k) | (nibble(row, k + 2) << 4));
        }
      }
    }
  }
}
