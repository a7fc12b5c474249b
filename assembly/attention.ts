// attention: varlen ALiBi self-attention, one (sequence, head) per chunk. K and V of the head are packed into
// 8-wide panels in per-thread scratch; 8 query rows at a time get an 8×n score strip (never n×n), an exact
// two-pass softmax (vanilla, or softmax1 with the extra e^(−m) in the denominator), then P·V through the GEMM tile.
import { claim, COUNTER } from "./sched";
import { Attention } from "./generated/args";
import { gemmStrip } from "./gemm-tile";

/** Query rows per score strip (S is QB × nPad floats per thread). */
export const QB = 8;
import { exp4, expf1, hmax, hsum } from "./vec";

// seqs: i32 pairs (start, len); slopes: f32[heads]; mask: u8[nnz] (0 = none); scratch: scratchStride bytes per thread
export function attention(a: usize, tid: i32): void {
  const qkv = Attention.qkv(a), out = Attention.out(a), seqs = Attention.seqs(a), nseq = Attention.nseq(a);
  const heads = Attention.heads(a), d = Attention.headDim(a), softmax1 = Attention.softmax1(a) != 0;
  const slopes = Attention.slopes(a), mask = Attention.mask(a);
  const scratch = Attention.scratch(a) + <usize>tid * <usize>Attention.scratchStride(a);
  const scale = Attention.scale(a), rowLo = Attention.rowLo(a), rowHi = Attention.rowHi(a);
  const H = heads * d, ld = <usize>(3 * H) << 2, dPad = (d + 7) & ~7;
  const tasks = nseq * heads;
  for (let t = claim(a + COUNTER); t < tasks; t = claim(a + COUNTER)) {
    const s = t / heads, h = t % heads;
    const start = load<i32>(seqs + (<usize>s << 3)), n = load<i32>(seqs + (<usize>s << 3) + 4);
    // Only query rows [rowLo, rowHi) of the packed batch (blocks of one long sequence, yields in between).
    const i0 = max(0, rowLo - start), i1 = min(n, rowHi - start);
    if (i0 >= i1) continue;
    const nPad = (n + 7) & ~7;
    // scratch: KT panels [nPad/8][d][8] | V panels [dPad/8][nPad][8] | maskAdd [nPad] | S [QB][nPad] | O [QB][dPad] | inv [QB]
    const kt = scratch, vp = kt + (<usize>nPad * d << 2), maskRow = vp + (<usize>nPad * dPad << 2);
    const S = maskRow + (<usize>nPad << 2), O = S + (<usize>(QB * nPad) << 2), inv = O + (<usize>(QB * dPad) << 2);
    const q0 = qkv + <usize>start * ld + (<usize>(h * d) << 2);
    const k0 = q0 + (<usize>H << 2), v0 = q0 + (<usize>(2 * H) << 2);
    packT(k0, ld, n, nPad, d, kt);
    packRows(v0, ld, n, d, dPad, vp, nPad);
    for (let j = 0; j < nPad; j++) {
      const ok = j < n && (mask == 0 || load<u8>(mask + start + j) != 0);
      store<f32>(maskRow + (<usize>j << 2), ok ? 0 : -Infinity);
    }
    const slope = load<f32>(slopes + (<usize>h << 2));
    const o0 = out + (<usize>start * H + h * d << 2);
    for (let i = i0; i < i1; i += QB) {
      const rows = min(QB, i1 - i);
      gemmStrip(q0 + <usize>i * ld, ld, rows, kt, <usize>d << 5, nPad >> 3, d, S, <usize>nPad << 2, 0, 0);
      for (let r = 0; r < rows; r++) {
        store<f32>(inv + (<usize>r << 2), softmaxRow(S + (<usize>(r * nPad) << 2), maskRow, nPad, i + r, scale, slope, softmax1));
      }
      gemmStrip(S, <usize>nPad << 2, rows, vp, <usize>nPad << 5, dPad >> 3, n, O, <usize>dPad << 2, 0, 0);
      for (let r = 0; r < rows; r++) {
        const f = f32x4.splat(load<f32>(inv + (<usize>r << 2)));
        const src = O + (<usize>(r * dPad) << 2), dst = o0 + (<usize>(i + r) * H << 2);
        let e = 0;
        for (; e + 4 <= d; e += 4) v128.store(dst + (<usize>e << 2), f32x4.mul(v128.load(src + (<usize>e << 2)), f));
        for (; e < d; e++) store<f32>(dst + (<usize>e << 2), load<f32>(src + (<usize>e << 2)) * f32x4.extract_lane(f, 0));
      }
    }
  }
}

/**
 * Rows of one head (n × d, `ld` bytes apart) → [nPad/8][d][8], zero past row n: the B panels of a GEMM over d (K for
 * the scores; the backward's V for dP).
 */
export function packT(src: usize, ld: usize, n: i32, nPad: i32, d: i32, dst: usize): void {
  for (let j = 0; j < nPad; j++) {
    const sr = src + <usize>j * ld, dr = dst + ((<usize>(j >> 3) * d * 8 + (j & 7)) << 2);
    for (let e = 0; e < d; e++) store<f32>(dr + (<usize>e << 5), j < n ? load<f32>(sr + (<usize>e << 2)) : 0);
  }
}

/**
 * `rows` rows (d floats, `ld` bytes apart) → panels [dPad/8][R][8] (row r at r·8 of each), zero past column d: the B
 * panels of a GEMM over the rows (V for P·V; the backward's K, Q and dO).
 */
export function packRows(src: usize, ld: usize, rows: i32, d: i32, dPad: i32, dst: usize, R: i32): void {
  const ps = <usize>R << 5;
  for (let r = 0; r < rows; r++) {
    const sr = src + <usize>r * ld, dr = dst + (<usize>r << 5);
    let e = 0;
    for (; e + 4 <= d; e += 4) v128.store(dr + <usize>(e >> 3) * ps + (<usize>(e & 7) << 2), v128.load(sr + (<usize>e << 2)));
    for (; e < dPad; e++) store<f32>(dr + <usize>(e >> 3) * ps + (<usize>(e & 7) << 2), e < d ? load<f32>(sr + (<usize>e << 2)) : 0);
  }
}

/** Scores of query row i → unnormalised probabilities in place; returns 1/denominator (0 for a row with no keys). */
export function softmaxRow(row: usize, maskAdd: usize, nPad: i32, i: i32, scale: f32, slope: f32, softmax1: bool): f32 {
  const vs = f32x4.splat(scale), vslope = f32x4.splat(slope), vi = f32x4.splat(<f32>i), four = f32x4.splat(4);
  let vj = f32x4(0, 1, 2, 3);
  let vm = f32x4.splat(-Infinity);
  for (let j = 0; j < nPad; j += 4) {
    const p = row + (<usize>j << 2);
    const dist = f32x4.abs(f32x4.sub(vi, vj));
    const sc = f32x4.add(f32x4.sub(f32x4.mul(v128.load(p), vs), f32x4.mul(vslope, dist)), v128.load(maskAdd + (<usize>j << 2)));
    v128.store(p, sc);
    vm = f32x4.pmax(vm, sc);
    vj = f32x4.add(vj, four);
  }
  const m = hmax(vm);
  if (m == -Infinity) {
    memory.fill(row, 0, <usize>nPad << 2);
    return 0;
  }
  const mv = f32x4.splat(m);
  let sum = f32x4.splat(0);
  for (let j = 0; j < nPad; j += 4) {
    const p = row + (<usize>j << 2);
    const e = exp4(f32x4.sub(v128.load(p), mv));
    v128.store(p, e);
    sum = f32x4.add(sum, e);
  }
  let denom = hsum(sum);
  if (softmax1) denom += expf1(-m);
  // softmax1 with m < −88: e^(−m) overflows and the row is 0, as in float32 PyTorch.
  return denom == Infinity ? 0 : 1 / denom;
}
