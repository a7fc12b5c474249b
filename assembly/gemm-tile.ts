// Register tiles shared by linear and attention: C[r][cols] (= bias | += C) + Σ_k A[r][k]·B[k][cols].
// A rows are strided (lda bytes); B comes in packed panels of 8 columns (32 bytes per k). The main tile is 2×16
// (two panels): 8 accumulators + 4 B vectors + 1 broadcast fit V8's 15 usable xmm registers, and it needs half the
// broadcasts of a 4×8 tile. Measured at k 768, 1 thread: 2×16 40 GFLOP/s (FMA build 51) vs 4×8 35 (44); 6×8 spills (28).
// Every tile computes each output element the same way: one accumulator, started from 0, the bias or C, then one
// madd per k in increasing k (no split accumulators, no reassociation). So a row's bits never depend on which tile it
// lands in (its position in the batch, the number of rows, the thread split): a lone last row runs as the pair (i, i)
// through tile2x16 (as lora.ts does), an odd panel's rows go through 4×8 and 1×8 tiles with that same order.
import { madd } from "./vec";

/**
 * C[rows, 8·panels] (+)= A[rows, K] · B over `panels` packed panels (`ps` bytes apart): 2×16 tiles (a lone last row
 * as the pair (i, i): computed twice, stored twice), then 4×8 / 1×8 for an odd last panel (the same per-element order
 * in all). `mode` as in tile4x8; pbias points at the bias of the first column.
 */
export function gemmStrip(pa: usize, lda: usize, rows: i32, pb: usize, ps: usize, panels: i32, K: i32, pc: usize, ldc: usize, pbias: usize, mode: i32): void {
  let p = 0;
  for (; p + 2 <= panels; p += 2) {
    const b = pb + <usize>p * ps, c = pc + (<usize>p << 5), bias = pbias + (<usize>p << 5);
    let i = 0;
    for (; i + 2 <= rows; i += 2) tile2x16(pa + <usize>i * lda, lda, b, ps, K, c + <usize>i * ldc, ldc, bias, mode);
    if (i < rows) tile2x16(pa + <usize>i * lda, 0, b, ps, K, c + <usize>i * ldc, 0, bias, mode); // the pair (i, i)
  }
  if (p < panels) {
    const b = pb + <usize>p * ps, c = pc + (<usize>p << 5), bias = pbias + (<usize>p << 5);
    let i = 0;
    for (; i + 4 <= rows; i += 4) tile4x8(pa + <usize>i * lda, lda, b, K, c + <usize>i * ldc, ldc, bias, mode);
    for (; i < rows; i++) tile1x8(pa + <usize>i * lda, b, K, c + <usize>i * ldc, bias, mode);
  }
}

/**
 * 2 rows × 16 columns from two adjacent panels (pb, pb + ps); lda = ldc = 0 computes one row. Its two call sites keep
 * it a function of its own (binaryen inlines a function with one caller): V8 then keeps the loop in registers, no
 * spills or moves (inlined into gemmStrip it reloaded 2–3 values from the stack and, without FMA, shuffled 7
 * accumulators per k; measured at m 128, n 2304, k 768, 1 thread: 34 GFLOP/s vs 31, FMA build 46 vs 45).
 */
export function tile2x16(pa: usize, lda: usize, pb: usize, ps: usize, K: i32, pc: usize, ldc: usize, pbias: usize, mode: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  if (mode == 1) {
    c00 = v128.load(pbias); c01 = v128.load(pbias, 16); c02 = v128.load(pbias, 32); c03 = v128.load(pbias, 48);
    c10 = c00; c11 = c01; c12 = c02; c13 = c03;
  } else if (mode == 2) {
    c00 = v128.load(pc); c01 = v128.load(pc, 16); c02 = v128.load(pc, 32); c03 = v128.load(pc, 48);
    c10 = v128.load(pc + ldc); c11 = v128.load(pc + ldc, 16); c12 = v128.load(pc + ldc, 32); c13 = v128.load(pc + ldc, 48);
  }
  let pq = pb + ps;
  for (const end = pa + (<usize>K << 2); pa < end; pa += 4) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pq), b3 = v128.load(pq, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01); c02 = madd(av, b2, c02); c03 = madd(av, b3, c03);
    av = v128.load32_splat(pa + lda);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11); c12 = madd(av, b2, c12); c13 = madd(av, b3, c13);
    pb += 32; pq += 32;
  }
  v128.store(pc, c00); v128.store(pc, c01, 16); v128.store(pc, c02, 32); v128.store(pc, c03, 48);
  v128.store(pc + ldc, c10); v128.store(pc + ldc, c11, 16); v128.store(pc + ldc, c12, 32); v128.store(pc + ldc, c13, 48);
}

/** 4 rows × 8 columns. `mode`: 0 = start from zero, 1 = start from bias (pbias, 8 floats), 2 = accumulate into C. */
@inline export function tile4x8(pa: usize, lda: usize, pb: usize, K: i32, pc: usize, ldc: usize, pbias: usize, mode: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (mode == 1) {
    c00 = v128.load(pbias); c01 = v128.load(pbias, 16);
    c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
  } else if (mode == 2) {
    c00 = v128.load(pc); c01 = v128.load(pc, 16);
    c10 = v128.load(pc + ldc); c11 = v128.load(pc + ldc, 16);
    c20 = v128.load(pc + 2 * ldc); c21 = v128.load(pc + 2 * ldc, 16);
    c30 = v128.load(pc + 3 * ldc); c31 = v128.load(pc + 3 * ldc, 16);
  }
  const pa1 = pa + lda, pa2 = pa + 2 * lda, pa3 = pa + 3 * lda;
  for (let k: usize = 0, kb: usize = <usize>K << 2; k < kb; k += 4) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa + k);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa1 + k);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa2 + k);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa3 + k);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    pb += 32;
  }
  v128.store(pc, c00); v128.store(pc, c01, 16);
  v128.store(pc + ldc, c10); v128.store(pc + ldc, c11, 16);
  v128.store(pc + 2 * ldc, c20); v128.store(pc + 2 * ldc, c21, 16);
  v128.store(pc + 3 * ldc, c30); v128.store(pc + 3 * ldc, c31, 16);
}

/** 1 row × 8 columns (row tails of an odd panel); same modes as tile4x8. */
@inline export function tile1x8(pa: usize, pb: usize, K: i32, pc: usize, pbias: usize, mode: i32): void {
  let c0 = f32x4.splat(0), c1 = c0;
  if (mode == 1) { c0 = v128.load(pbias); c1 = v128.load(pbias, 16); }
  else if (mode == 2) { c0 = v128.load(pc); c1 = v128.load(pc, 16); }
  for (let k: usize = 0, kb: usize = <usize>K << 2; k < kb; k += 4) {
    const av = v128.load32_splat(pa + k);
    c0 = madd(av, v128.load(pb), c0); c1 = madd(av, v128.load(pb, 16), c1);
    pb += 32;
  }
  v128.store(pc, c0); v128.store(pc, c1, 16);
}

/**
 * Σ_k a[k]·b[k] over contiguous rows (the weight rows past the last full 8-row panel). Its order (8 lanes, then the
 * lanes, then the scalar tail) differs from the tiles', but each output column always takes it, for every row.
 */
export function dot(pa: usize, pb: usize, K: i32): f32 {
  let s0 = f32x4.splat(0), s1 = s0;
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    s0 = madd(v128.load(pa), v128.load(pb), s0);
    s1 = madd(v128.load(pa, 16), v128.load(pb, 16), s1);
    pa += 32; pb += 32;
  }
  const v = f32x4.add(s0, s1);
  let s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
  for (; k < K; k++) { s += load<f32>(pa) * load<f32>(pb); pa += 4; pb += 4; }
  return s;
}
