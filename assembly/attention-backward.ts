// attentionBackward: one (sequence, head) per chunk, as the forward; the chunk writes every gradQkv value of its rows
// and head (q, k and v slices), so nothing is zeroed beforehand and no two threads touch the same float. Per strip of
// QB query rows: S = Q·Kᵀ and the forward's softmaxRow (same scores, max, softmax1 term) → P = e·inv; dP = dO·Vᵀ;
// dS = P ⊙ (dP − D)/√d with D_i = dO_i·O_i; dQ = dS·K straight out. dK += dSᵀ·Q and dV += Pᵀ·dO go into per-thread
// accumulators every UB query rows (a k of UB, not QB, per pass over them) and are written out after the last strip.
// All five products are gemm-tile strips: K and V packed as the score GEMM's panels, K again as dQ's, each strip's
// Q and dO rows into panels, and P and dS transposed into [n][UB] as the A operand of the dK/dV update.
import { claim, COUNTER } from "./sched";
import { AttentionBackward } from "./generated/args";
import { dot, gemmStrip } from "./gemm-tile";
import { packRows, packT, softmaxRow, QB } from "./attention";

/** Query rows per dK/dV update (a multiple of QB). */
export const UB = 32;

// seqs: i32 pairs (start, len); slopes: f32[heads]; scratch: scratchStride bytes per thread (host: kernels/attention-backward.ts)
export function attentionBackward(a: usize, tid: i32): void {
  const qkv = AttentionBackward.qkv(a), out = AttentionBackward.out(a), gradOut = AttentionBackward.gradOut(a);
  const gradQkv = AttentionBackward.gradQkv(a), seqs = AttentionBackward.seqs(a), nseq = AttentionBackward.nseq(a);
  const heads = AttentionBackward.heads(a), d = AttentionBackward.headDim(a), softmax1 = AttentionBackward.softmax1(a) != 0;
  const slopes = AttentionBackward.slopes(a), scale = AttentionBackward.scale(a);
  const scratch = AttentionBackward.scratch(a) + <usize>tid * <usize>AttentionBackward.scratchStride(a);
  const H = heads * d, ld = <usize>(3 * H) << 2, ldo = <usize>H << 2, dPad = (d + 7) & ~7;
  const tasks = nseq * heads;
  for (let t = claim(a + COUNTER); t < tasks; t = claim(a + COUNTER)) {
    const s = t / heads, h = t % heads;
    const start = load<i32>(seqs + (<usize>s << 3)), n = load<i32>(seqs + (<usize>s << 3) + 4);
    if (n == 0) continue;
    const nPad = (n + 7) & ~7;
    // scratch: Kᵀ, Vᵀ panels [nPad/8][d][8] | K panels [dPad/8][nPad][8] | maskAdd [nPad] | S, dP [QB][nPad] |
    // Pᵀ, dSᵀ [nPad][UB] | Q, dO panels [dPad/8][UB][8] | O [QB][dPad] | dK, dV [nPad][dPad]
    const kt = scratch, vt = kt + (<usize>nPad * d << 2), kp = vt + (<usize>nPad * d << 2);
    const maskRow = kp + (<usize>nPad * dPad << 2), S = maskRow + (<usize>nPad << 2), dP = S + (<usize>(QB * nPad) << 2);
    const pt = dP + (<usize>(QB * nPad) << 2), dst = pt + (<usize>(nPad * UB) << 2);
    const qp = dst + (<usize>(nPad * UB) << 2), gp = qp + (<usize>(UB * dPad) << 2), O = gp + (<usize>(UB * dPad) << 2);
    const dK = O + (<usize>(QB * dPad) << 2), dV = dK + (<usize>nPad * dPad << 2);
    const q0 = qkv + <usize>start * ld + (<usize>(h * d) << 2), k0 = q0 + (<usize>H << 2), v0 = q0 + (<usize>(2 * H) << 2);
    const go0 = gradOut + (<usize>start * H + h * d << 2), o0 = out + (<usize>start * H + h * d << 2);
    const g0 = gradQkv + <usize>start * ld + (<usize>(h * d) << 2);
    packT(k0, ld, n, nPad, d, kt);
    packT(v0, ld, n, nPad, d, vt);
    packRows(k0, ld, n, d, dPad, kp, nPad);
    for (let j = 0; j < nPad; j++) store<f32>(maskRow + (<usize>j << 2), j < n ? 0 : -Infinity);
    memory.fill(dK, 0, <usize>(2 * nPad * dPad) << 2);
    const slope = load<f32>(slopes + (<usize>h << 2)), vs = f32x4.splat(scale);
    let u0 = 0; // first query row of the pending dK/dV update
    for (let i = 0; i < n; i += QB) {
      const rows = min(QB, n - i), ur = i - u0;
      gemmStrip(q0 + <usize>i * ld, ld, rows, kt, <usize>d << 5, nPad >> 3, d, S, <usize>nPad << 2, 0, 0);
      gemmStrip(go0 + <usize>i * ldo, ldo, rows, vt, <usize>d << 5, nPad >> 3, d, dP, <usize>nPad << 2, 0, 0);
      for (let r = 0; r < rows; r++) {
        const srow = S + (<usize>(r * nPad) << 2), prow = dP + (<usize>(r * nPad) << 2);
        const vinv = f32x4.splat(softmaxRow(srow, maskRow, nPad, i + r, scale, slope, softmax1));
        const vD = f32x4.splat(dot(go0 + <usize>(i + r) * ldo, o0 + <usize>(i + r) * ldo, d));
        // column ur + r of Pᵀ and dSᵀ
        let tp = pt + (<usize>(ur + r) << 2), td = dst + (<usize>(ur + r) << 2);
        for (let j = 0; j < nPad; j += 4) {
          const o = <usize>j << 2;
          const p = f32x4.mul(v128.load(srow + o), vinv);
          const ds = f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(prow + o), vD)), vs);
          v128.store(prow + o, ds);
          store<f32>(tp, f32x4.extract_lane(p, 0)); store<f32>(tp, f32x4.extract_lane(p, 1), UB * 4);
          store<f32>(tp, f32x4.extract_lane(p, 2), UB * 8); store<f32>(tp, f32x4.extract_lane(p, 3), UB * 12);
          store<f32>(td, f32x4.extract_lane(ds, 0)); store<f32>(td, f32x4.extract_lane(ds, 1), UB * 4);
          store<f32>(td, f32x4.extract_lane(ds, 2), UB * 8); store<f32>(td, f32x4.extract_lane(ds, 3), UB * 12);
          tp += UB * 16; td += UB * 16;
        }
      }
      gemmStrip(dP, <usize>nPad << 2, rows, kp, <usize>nPad << 5, dPad >> 3, n, O, <usize>dPad << 2, 0, 0);
      copyRows(O, <usize>dPad << 2, g0 + <usize>i * ld, ld, rows, d);
      packRows(q0 + <usize>i * ld, ld, rows, d, dPad, qp + (<usize>ur << 5), UB);
      packRows(go0 + <usize>i * ldo, ldo, rows, d, dPad, gp + (<usize>ur << 5), UB);
      if (ur + rows == UB || i + rows == n) {
        gemmStrip(dst, UB << 2, n, qp, UB << 5, dPad >> 3, ur + rows, dK, <usize>dPad << 2, 0, 2);
        gemmStrip(pt, UB << 2, n, gp, UB << 5, dPad >> 3, ur + rows, dV, <usize>dPad << 2, 0, 2);
        u0 = i + rows;
      }
    }
    copyRows(dK, <usize>dPad << 2, g0 + (<usize>H << 2), ld, n, d);
    copyRows(dV, <usize>dPad << 2, g0 + (<usize>(2 * H) << 2), ld, n, d);
  }
}

/** `rows` rows of d floats from src (ls bytes apart) to dst (ld bytes apart). */
function copyRows(src: usize, ls: usize, dst: usize, ld: usize, rows: i32, d: i32): void {
  for (let r = 0; r < rows; r++) {
    const sr = src + <usize>r * ls, dr = dst + <usize>r * ld;
    let e = 0;
    for (; e + 4 <= d; e += 4) v128.store(dr + (<usize>e << 2), v128.load(sr + (<usize>e << 2)));
    for (; e < d; e++) store<f32>(dr + (<usize>e << 2), load<f32>(sr + (<usize>e << 2)));
  }
}
