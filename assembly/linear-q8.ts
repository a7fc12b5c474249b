// linear with q8 weights (W8A8): out[i,j] = f32(f32(Σ_t qx[i,t]·qw[j,t]) · f32(sx[i]·sw[j])) + bias[j], the sum exact in
// int32, each f32 step rounded as written (separate mul and add, never FMA), as src/backend/reference/linear.ts
// linearInt8 does, so integer inputs match it bit for bit. x is quantized per row (formats.ts quantizeRows: f32 division,
// round half to even, ±127; each row's max|x|/127, or the static inputScale when it is > 0) into per-thread scratch as int16, once per row block per thread (chunks are claimed in
// increasing order, column group fastest, so a thread meets each row block in one run of chunks). The scratch holds
// the block's row scales (MB f32), then its rows in quads: quad q, k pair (k, k+1) (k even) is 16 bytes at
// q·qs + 8k: (r0 k, r0 k+1, r1 k, …, r3 k+1), qs = 16·⌈K/2⌉; an odd K's last pair is (x[K−1], 0).
// w was packed at load (packQ8), in the same bytes: each full group of 8 rows is one panel of 8K bytes where k pair
// (k, k+1) is 16 bytes at 8k: [c0 k, c0 k+1, c1 k, c1 k+1, c2 k, c2 k+1, c3 k, c3 k+1][the same for c4-c7]; an odd
// K's last element follows as 8 bytes (c0-c7). v128.load8x8_s widens 8 bytes to i16, so one i32x4.dot_i16x8_s of a
// broadcast (x[k], x[k+1]) adds 2 k to 4 columns. The n mod 8 tail rows of w stay row-major [., K] int8.
import { claim, COUNTER } from "./sched";
import { LinearQ8, PackQ8 } from "./generated/args";

const MB = 128; // rows per chunk (src/backend/wasm/kernels/linear.ts sizes the scratch from it)
const PG = 8;   // 8-column panels per chunk

export function linearQ8(a: usize, tid: i32): void {
  const x = LinearQ8.x(a), w = LinearQ8.w(a), sw = LinearQ8.scales(a), bias = LinearQ8.bias(a), out = LinearQ8.out(a);
  const m = LinearQ8.m(a), n = LinearQ8.n(a), K = LinearQ8.k(a), fixed = LinearQ8.inputScale(a);
  const sx = LinearQ8.scratch(a) + <usize>tid * <usize>LinearQ8.scratchStride(a); // MB row scales, then the row quads
  const qa = sx + (MB << 2), qs = <usize>((K + 1) >> 1) << 4, ldc = <usize>n << 2;
  const panels = n >> 3, hasTail = (n & 7) != 0;
  const groups = (panels + PG - 1) / PG + (hasTail ? 1 : 0);
  const chunks = groups * ((m + MB - 1) / MB);
  let cur = -1;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const g = c % groups, rb = c / groups;
    const i0 = rb * MB, rows = min(m, i0 + MB) - i0;
    if (rb != cur) { for (let r = 0; r < rows; r++) quantizeRow(x + (<usize>(i0 + r) * K << 2), K, qa + <usize>(r >> 2) * qs + ((r & 3) << 2), sx + (<usize>r << 2), fixed); cur = rb; }
    const pc = out + <usize>i0 * ldc;
    if (hasTail && g == groups - 1) { tailColumns(qa, qs, sx, w, sw, bias, pc, ldc, rows, n, K); continue; }
    for (let p = g * PG, p1 = min(panels, p + PG); p < p1; p++) {
      const pb = w + (<usize>p * K << 3), col = <usize>p << 5;
      const psw = sw + col, pbias = bias != 0 ? bias + col : 0;
      let i = 0;
      for (; i + 4 <= rows; i += 4) tile4x8(qa + <usize>(i >> 2) * qs, pb, K, sx + (<usize>i << 2), psw, pbias, pc + <usize>i * ldc + col, ldc);
      for (; i < rows; i++) tile1x8(qa + <usize>(i >> 2) * qs + ((i & 3) << 2), pb, K, load<f32>(sx + (<usize>i << 2)), psw, pbias, pc + <usize>i * ldc + col);
    }
  }
}

/** round_half_even(x / s) clamped to ±127, as i32 lanes (s = 0, an all-zero row: 0/0 is NaN, which trunc_sat makes 0). */
@inline function quant4(v: v128, s: v128): v128 {
  const lim = f32x4.splat(127);
  return i32x4.trunc_sat_f32x4_s(f32x4.min(f32x4.max(f32x4.nearest(f32x4.div(v, s)), f32x4.neg(lim)), lim));
}

/** max|x| over one row of K f32. */
function rowMaxAbs(xr: usize, K: i32): f32 {
  let mv = f32x4.splat(0), k = 0;
  for (; k + 4 <= K; k += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(xr + (<usize>k << 2))));
  let mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; k < K; k++) mx = max(mx, abs(load<f32>(xr + (<usize>k << 2))));
  return mx;
}

/**
 * One row of x (f32) → its scale at psx (`fixed` when > 0, a static scale: beyond ±127 clamps; else max|x|/127) and
 * int16 pairs 16 bytes apart from dst (its slot in a quad).
 */
function quantizeRow(xr: usize, K: i32, dst: usize, psx: usize, fixed: f32): void {
  const s: f32 = fixed > 0 ? fixed : rowMaxAbs(xr, K) / 127;
  store<f32>(psx, s);
  let k = 0;
  const sv = f32x4.splat(s);
  for (; k + 8 <= K; k += 8) { // 8 values = 4 pairs, one 32-bit lane each
    const p = xr + (<usize>k << 2), d = dst + (<usize>k << 3);
    const v = i16x8.narrow_i32x4_s(quant4(v128.load(p), sv), quant4(v128.load(p, 16), sv));
    v128.store32_lane(d, v, 0); v128.store32_lane(d, v, 1, 16); v128.store32_lane(d, v, 2, 32); v128.store32_lane(d, v, 3, 48);
  }
  for (; k < K; k++) {
    const q = i32x4.extract_lane(quant4(f32x4.splat(load<f32>(xr + (<usize>k << 2))), sv), 0);
    store<i16>(dst + (<usize>(k >> 1) << 4) + ((k & 1) << 1), <i16>q);
  }
  if (K & 1) store<i16>(dst + (<usize>(K >> 1) << 4), 0, 2);
}

/** The f32 epilogue of 4 columns: f32(acc)·f32(sx·sw) (+ bias), two roundings, no FMA. */
@inline function finish(acc: v128, sx: v128, psw: usize, pbias: usize, pc: usize): void {
  let y = f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.mul(sx, v128.load(psw)));
  if (pbias != 0) y = f32x4.add(y, v128.load(pbias));
  v128.store(pc, y);
}

/** acc + a broadcast pair (x[k], x[k+1]) · 4 columns' pairs (b: c0 k, c0 k+1, c1 k, …). */
@inline function dp(acc: v128, av: v128, b: v128): v128 { return i32x4.add(acc, i32x4.dot_i16x8_s(av, b)); }

/**
 * 4 rows (one quad) × 8 columns of one panel, one k pair per iteration: 8 i32x4 accumulators + 2 widened B vectors +
 * 4 broadcasts (V8 issues a block's loads first, so every loaded value is live at once) + 1 temporary = 15 xmm.
 */
function tile4x8(pq: usize, pb: usize, K: i32, psx: usize, psw: usize, pbias: usize, pc: usize, ldc: usize): void {
  let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (const end = pq + (<usize>(K >> 1) << 4); pq < end; pq += 16) {
    const b0 = v128.load8x8_s(pb), b1 = v128.load8x8_s(pb, 8);
    let av = v128.load32_splat(pq);
    c00 = dp(c00, av, b0); c01 = dp(c01, av, b1);
    av = v128.load32_splat(pq, 4);
    c10 = dp(c10, av, b0); c11 = dp(c11, av, b1);
    av = v128.load32_splat(pq, 8);
    c20 = dp(c20, av, b0); c21 = dp(c21, av, b1);
    av = v128.load32_splat(pq, 12);
    c30 = dp(c30, av, b0); c31 = dp(c31, av, b1);
    pb += 16;
  }
  if (K & 1) { // the last pair is (x[K−1], 0): against each column's w[c, K−1] widened to i32 (its high i16 meets the 0)
    const b = v128.load8x8_s(pb), b0 = i32x4.extend_low_i16x8_s(b), b1 = i32x4.extend_high_i16x8_s(b);
    let av = v128.load32_splat(pq);
    c00 = dp(c00, av, b0); c01 = dp(c01, av, b1);
    av = v128.load32_splat(pq, 4);
    c10 = dp(c10, av, b0); c11 = dp(c11, av, b1);
    av = v128.load32_splat(pq, 8);
    c20 = dp(c20, av, b0); c21 = dp(c21, av, b1);
    av = v128.load32_splat(pq, 12);
    c30 = dp(c30, av, b0); c31 = dp(c31, av, b1);
  }
  const pb1 = pbias != 0 ? pbias + 16 : 0;
  let s = v128.load32_splat(psx);
  finish(c00, s, psw, pbias, pc); finish(c01, s, psw + 16, pb1, pc + 16);
  s = v128.load32_splat(psx, 4);
  finish(c10, s, psw, pbias, pc + ldc); finish(c11, s, psw + 16, pb1, pc + ldc + 16);
  s = v128.load32_splat(psx, 8);
  finish(c20, s, psw, pbias, pc + 2 * ldc); finish(c21, s, psw + 16, pb1, pc + 2 * ldc + 16);
  s = v128.load32_splat(psx, 12);
  finish(c30, s, psw, pbias, pc + 3 * ldc); finish(c31, s, psw + 16, pb1, pc + 3 * ldc + 16);
}

/** 1 row × 8 columns (row tails); pa is the row's slot in its quad (pairs 16 bytes apart). */
function tile1x8(pa: usize, pb: usize, K: i32, sx: f32, psw: usize, pbias: usize, pc: usize): void {
  let c0 = i32x4.splat(0), c1 = c0;
  for (const end = pa + (<usize>(K >> 1) << 4); pa < end; pa += 16) {
    const av = v128.load32_splat(pa);
    c0 = dp(c0, av, v128.load8x8_s(pb)); c1 = dp(c1, av, v128.load8x8_s(pb, 8));
    pb += 16;
  }
  if (K & 1) {
    const b = v128.load8x8_s(pb), av = v128.load32_splat(pa);
    c0 = dp(c0, av, i32x4.extend_low_i16x8_s(b)); c1 = dp(c1, av, i32x4.extend_high_i16x8_s(b));
  }
  const s = f32x4.splat(sx);
  finish(c0, s, psw, pbias, pc); finish(c1, s, psw + 16, pbias != 0 ? pbias + 16 : 0, pc + 16);
}

/**
 * The n mod 8 weight rows past the last panel (row-major int8), 4 rows of x at a time: a quad's pair vector (4 rows ×
 * (x[k], x[k+1])) dotted with the broadcast weight pair (w[j,k], w[j,k+1]) sums 4 outputs of column j.
 */
function tailColumns(qa: usize, qs: usize, psx: usize, w: usize, sw: usize, bias: usize, pc: usize, ldc: usize, rows: i32, n: i32, K: i32): void {
  for (let j = n & ~7; j < n; j++) {
    const wr = w + <usize>j * K, s = f32x4.splat(load<f32>(sw + (<usize>j << 2)));
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0;
    for (let i = 0; i < rows; i += 4) {
      let pq = qa + <usize>(i >> 2) * qs, pw = wr, acc = i32x4.splat(0);
      for (const end = pq + (<usize>(K >> 1) << 4); pq < end; pq += 16) {
        acc = dp(acc, v128.load(pq), i16x8.extend_low_i8x16_s(v128.load16_splat(pw)));
        pw += 2;
      }
      if (K & 1) acc = dp(acc, v128.load(pq), i32x4.splat(<i32>load<i8>(pw)));
      let y = f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.mul(v128.load(psx + (<usize>i << 2)), s));
      if (bias != 0) y = f32x4.add(y, f32x4.splat(b));
      const po = pc + (<usize>j << 2) + <usize>i * ldc;
      store<f32>(po, f32x4.extract_lane(y, 0));
      if (i + 1 < rows) store<f32>(po + ldc, f32x4.extract_lane(y, 1));
      if (i + 2 < rows) store<f32>(po + 2 * ldc, f32x4.extract_lane(y, 2));
      if (i + 3 < rows) store<f32>(po + 3 * ldc, f32x4.extract_lane(y, 3));
    }
  }
}

// Pack q8 w [n,k] in place, one 8-row panel (8k bytes) per chunk, through per-thread scratch (layout: file header).
export function packQ8(a: usize, tid: i32): void {
  const w = PackQ8.w(a), n = PackQ8.n(a), K = PackQ8.k(a);
  const scratch = PackQ8.scratch(a) + <usize>tid * <usize>PackQ8.scratchStride(a);
  const bytes = <usize>K << 3, kp = K & ~1;
  for (let p = claim(a + COUNTER); p < (n >> 3); p = claim(a + COUNTER)) {
    const base = w + <usize>p * bytes;
    memory.copy(scratch, base, bytes);
    for (let c = 0; c < 8; c++) {
      const src = scratch + <usize>c * K;
      for (let k = 0; k < kp; k++) store<i8>(base + (<usize>(k >> 1) << 4) + ((c >> 2) << 3) + ((c & 3) << 1) + (k & 1), load<i8>(src + k));
      if (K & 1) store<i8>(base + (<usize>kp << 3) + c, load<i8>(src + kp));
    }
  }
}
