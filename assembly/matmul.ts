// matmul: out[m, n] = alpha·op(a)·op(b) (+ out), the GEMM of gradients. Chunks are (MB rows × CG columns) blocks of
// out, k in blocks of KC (each block after the first adds alpha·Σ to out). Per k block, the chunk packs op(b)'s
// columns into per-thread scratch as [kc][16] panels (b's rows are n floats apart: at 2304 or 768 floats every row
// falls into the same few L1 sets, so tiles reading them in place thrash), then 2 rows × 16 columns register tiles
// run over them (4 × 8 for a last lone 8-column panel). op(a) is read in place through two byte strides, except aᵀ
// with over 16 rows, whose t rows are as far apart as b's: its block is transposed into scratch as [MB][kc]. A tile's
// rows past the block's end repeat its last row (computed again, stored again, as lora.ts does). n mod 8 columns:
// scalar dots over all of k. k = 0 needs no case: one empty block stores alpha·0 (+ out).
import { claim, COUNTER } from "./sched";
import { Matmul } from "./generated/args";
import { madd } from "./vec";

/** Rows and columns per chunk, k per block (kernels/matmul.ts sizes the scratch from them). */
export const MB = 64, CG = 128, KC = 256;

export function matmul(args: usize, tid: i32): void {
  const A = Matmul.a(args), B = Matmul.b(args), out = Matmul.out(args);
  const m = Matmul.m(args), n = Matmul.n(args), K = Matmul.k(args);
  const transA = Matmul.transA(args) != 0, transB = Matmul.transB(args) != 0, acc = Matmul.accumulate(args) != 0;
  const alpha = Matmul.alpha(args);
  const bpack = Matmul.scratch(args) + <usize>tid * <usize>Matmul.scratchStride(args), apack = bpack + (<usize>(KC * CG) << 2);
  // op(a)(i, t) at A + i·ai + t·at; op(b)(t, j) at B + t·bt + j·bj
  const ai: usize = transA ? 4 : <usize>K << 2, at: usize = transA ? <usize>m << 2 : 4;
  const bt: usize = transB ? 4 : <usize>n << 2, bj: usize = transB ? <usize>K << 2 : 4;
  const packA = transA && m > 16, ldc = <usize>n << 2;
  const groups = (n + CG - 1) / CG, chunks = groups * ((m + MB - 1) / MB);
  for (let c = claim(args + COUNTER); c < chunks; c = claim(args + COUNTER)) {
    const j0 = (c % groups) * CG, j1 = min(n, j0 + CG), i0 = (c / groups) * MB, i1 = min(m, i0 + MB);
    const last = i1 - 1, n8 = j0 + ((j1 - j0) & ~7);
    for (let k0 = 0; k0 < K || k0 == 0; k0 += KC) {
      const kc = min(KC, K - k0), add = acc || k0 > 0;
      let pa = A + <usize>i0 * ai + <usize>k0 * at, as = at, ar = ai;
      if (packA && kc > 0) { transpose(pa, at, kc, i1 - i0, apack, <usize>KC << 2); pa = apack; as = 4; ar = <usize>KC << 2; }
      packB(B + <usize>k0 * bt + <usize>j0 * bj, bt, bj, kc, n8 - j0, transB, bpack);
      for (let j = j0; j < n8; j += 16) {
        const w = min(16, n8 - j), cj = out + (<usize>j << 2), pb = bpack + <usize>((j - j0) >> 4) * (<usize>kc << 6);
        if (w == 16) {
          for (let i = i0; i < i1; i += 2) {
            const r1 = min(i + 1, last);
            tile2x16(pa + <usize>(i - i0) * ar, pa + <usize>(r1 - i0) * ar, as, pb, kc, cj + <usize>i * ldc, cj + <usize>r1 * ldc, alpha, add);
          }
        } else {
          for (let i = i0; i < i1; i += 4) {
            const r1 = min(i + 1, last), r2 = min(i + 2, last), r3 = min(i + 3, last);
            tile4x8(pa + <usize>(i - i0) * ar, pa + <usize>(r1 - i0) * ar, pa + <usize>(r2 - i0) * ar, pa + <usize>(r3 - i0) * ar, as,
              pb, kc, cj + <usize>i * ldc, cj + <usize>r1 * ldc, cj + <usize>r2 * ldc, cj + <usize>r3 * ldc, alpha, add);
          }
        }
      }
    }
    for (let j = n8; j < j1; j++) {
      for (let i = i0; i < i1; i++) {
        let s: f32 = 0;
        let a = A + <usize>i * ai, b = B + <usize>j * bj;
        for (let t = 0; t < K; t++) { s += load<f32>(a) * load<f32>(b); a += at; b += bt; }
        const p = out + <usize>i * ldc + (<usize>j << 2);
        store<f32>(p, acc ? alpha * s + load<f32>(p) : alpha * s);
      }
    }
  }
}

/**
 * op(b)'s block of K rows × w columns (w a multiple of 8; op(b)(t, j) at src + t·bt + j·bj) → panels of 16 columns,
 * [K][16] each, the last [K][8] when w mod 16 = 8. b's rows are read whole (w floats) rather than a panel at a time.
 */
function packB(src: usize, bt: usize, bj: usize, K: i32, w: i32, trans: bool, dst: usize): void {
  const ps = <usize>K << 6;
  if (trans) {
    for (let j = 0; j < w; j += 16) {
      const pw = min(16, w - j);
      transpose(src + <usize>j * bj, bj, pw, K, dst + <usize>(j >> 4) * ps, <usize>pw << 2);
    }
    return;
  }
  const w16 = w & ~15, tail = w16 < w;
  for (let t = 0; t < K; t++) {
    const s = src + <usize>t * bt;
    let d = dst + (<usize>t << 6);
    for (let j = 0; j < w16; j += 16) {
      const o = <usize>j << 2;
      v128.store(d, v128.load(s + o)); v128.store(d, v128.load(s + o, 16), 16);
      v128.store(d, v128.load(s + o, 32), 32); v128.store(d, v128.load(s + o, 48), 48);
      d += ps;
    }
    if (tail) {
      const o = <usize>w16 << 2;
      d -= <usize>t << 5; // the 8-wide panel: row t at t·32
      v128.store(d, v128.load(s + o)); v128.store(d, v128.load(s + o, 16), 16);
    }
  }
}

/** dst[c][r] = src[r][c] for R rows (ls bytes apart) × C floats; dst rows ld bytes apart. 4×4 blocks, scalar edges. */
function transpose(src: usize, ls: usize, R: i32, C: i32, dst: usize, ld: usize): void {
  const R4 = R & ~3, C4 = C & ~3;
  for (let r = 0; r < R4; r += 4) {
    const s0 = src + <usize>r * ls, s1 = s0 + ls, s2 = s1 + ls, s3 = s2 + ls;
    let d = dst + (<usize>r << 2);
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      const a = v128.load(s0 + o), b = v128.load(s1 + o), e = v128.load(s2 + o), f = v128.load(s3 + o);
      const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const ef0 = v128.shuffle<f32>(e, f, 0, 4, 1, 5), ef1 = v128.shuffle<f32>(e, f, 2, 6, 3, 7);
      v128.store(d, v128.shuffle<f32>(ab0, ef0, 0, 1, 4, 5));
      v128.store(d + ld, v128.shuffle<f32>(ab0, ef0, 2, 3, 6, 7));
      v128.store(d + 2 * ld, v128.shuffle<f32>(ab1, ef1, 0, 1, 4, 5));
      v128.store(d + 3 * ld, v128.shuffle<f32>(ab1, ef1, 2, 3, 6, 7));
      d += 4 * ld;
    }
  }
  for (let r = 0; r < R; r++) {
    const sr = src + <usize>r * ls, dr = dst + (<usize>r << 2);
    for (let c = r < R4 ? C4 : 0; c < C; c++) store<f32>(dr + <usize>c * ld, load<f32>(sr + (<usize>c << 2)));
  }
}

/** Rows a0, a1 (t stride `as` bytes) × packed [K][16] columns at pb → c0, c1: alpha·Σ (+ c). */
function tile2x16(a0: usize, a1: usize, as: usize, pb: usize, K: i32, c0: usize, c1: usize, alpha: f32, acc: bool): void {
  let x00 = f32x4.splat(0), x01 = x00, x02 = x00, x03 = x00, x10 = x00, x11 = x00, x12 = x00, x13 = x00;
  let ao: usize = 0;
  for (let t = 0; t < K; t++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
    let av = v128.load32_splat(a0 + ao);
    x00 = madd(av, b0, x00); x01 = madd(av, b1, x01); x02 = madd(av, b2, x02); x03 = madd(av, b3, x03);
    av = v128.load32_splat(a1 + ao);
    x10 = madd(av, b0, x10); x11 = madd(av, b1, x11); x12 = madd(av, b2, x12); x13 = madd(av, b3, x13);
    ao += as; pb += 64;
  }
  const va = f32x4.splat(alpha);
  if (acc) {
    // Both rows are read before either is written: c1 may be c0 (a repeated last row).
    const y00 = v128.load(c0), y01 = v128.load(c0, 16), y02 = v128.load(c0, 32), y03 = v128.load(c0, 48);
    const y10 = v128.load(c1), y11 = v128.load(c1, 16), y12 = v128.load(c1, 32), y13 = v128.load(c1, 48);
    x00 = madd(va, x00, y00); x01 = madd(va, x01, y01); x02 = madd(va, x02, y02); x03 = madd(va, x03, y03);
    x10 = madd(va, x10, y10); x11 = madd(va, x11, y11); x12 = madd(va, x12, y12); x13 = madd(va, x13, y13);
  } else {
    x00 = f32x4.mul(va, x00); x01 = f32x4.mul(va, x01); x02 = f32x4.mul(va, x02); x03 = f32x4.mul(va, x03);
    x10 = f32x4.mul(va, x10); x11 = f32x4.mul(va, x11); x12 = f32x4.mul(va, x12); x13 = f32x4.mul(va, x13);
  }
  v128.store(c0, x00); v128.store(c0, x01, 16); v128.store(c0, x02, 32); v128.store(c0, x03, 48);
  v128.store(c1, x10); v128.store(c1, x11, 16); v128.store(c1, x12, 32); v128.store(c1, x13, 48);
}

/** Rows a0 … a3 × packed [K][8] columns at pb → c0 … c3 (as tile2x16: 8 accumulators either way). */
function tile4x8(a0: usize, a1: usize, a2: usize, a3: usize, as: usize, pb: usize, K: i32,
  c0: usize, c1: usize, c2: usize, c3: usize, alpha: f32, acc: bool): void {
  let x00 = f32x4.splat(0), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
  let ao: usize = 0;
  for (let t = 0; t < K; t++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = v128.load32_splat(a0 + ao);
    x00 = madd(av, b0, x00); x01 = madd(av, b1, x01);
    av = v128.load32_splat(a1 + ao);
    x10 = madd(av, b0, x10); x11 = madd(av, b1, x11);
    av = v128.load32_splat(a2 + ao);
    x20 = madd(av, b0, x20); x21 = madd(av, b1, x21);
    av = v128.load32_splat(a3 + ao);
    x30 = madd(av, b0, x30); x31 = madd(av, b1, x31);
    ao += as; pb += 32;
  }
  const va = f32x4.splat(alpha);
  if (acc) {
    const y00 = v128.load(c0), y01 = v128.load(c0, 16), y10 = v128.load(c1), y11 = v128.load(c1, 16);
    const y20 = v128.load(c2), y21 = v128.load(c2, 16), y30 = v128.load(c3), y31 = v128.load(c3, 16);
    x00 = madd(va, x00, y00); x01 = madd(va, x01, y01); x10 = madd(va, x10, y10); x11 = madd(va, x11, y11);
    x20 = madd(va, x20, y20); x21 = madd(va, x21, y21); x30 = madd(va, x30, y30); x31 = madd(va, x31, y31);
  } else {
    x00 = f32x4.mul(va, x00); x01 = f32x4.mul(va, x01); x10 = f32x4.mul(va, x10); x11 = f32x4.mul(va, x11);
    x20 = f32x4.mul(va, x20); x21 = f32x4.mul(va, x21); x30 = f32x4.mul(va, x30); x31 = f32x4.mul(va, x31);
  }
  v128.store(c0, x00); v128.store(c0, x01, 16); v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16); v128.store(c3, x30); v128.store(c3, x31, 16);
}
