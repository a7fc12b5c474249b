// layerNorm: out = (v − mean)/√(var + eps)·γ + β with v = x (+ residual), biased variance, two passes over the row.
// Rows are claimed in chunks of 8; out may alias x. layerNormBackward (its gradient) follows.
import { claim, COUNTER } from "./sched";
import { LayerNorm, LayerNormBackward } from "./generated/args";
import { hsum } from "./vec";

// residual 0 = none
export function layerNorm(a: usize): void {
  const x = LayerNorm.x(a), res = LayerNorm.residual(a), g = LayerNorm.gamma(a), b = LayerNorm.beta(a), out = LayerNorm.out(a);
  const rows = LayerNorm.rows(a), cols = LayerNorm.cols(a), eps = LayerNorm.eps(a);
  const chunks = (rows + 7) >> 3, c4 = cols & ~3;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    for (let r = c << 3, r1 = min(rows, r + 8); r < r1; r++) {
      const off = <usize>r * cols << 2, o = out + off;
      const st = rowMeanRstd(x + off, res, res + off, o, cols, eps);
      const mean = f32x4.extract_lane(st, 0), vmean = f32x4.splat(mean);
      const inv = f32x4.extract_lane(st, 1), vinv = f32x4.splat(inv);
      let j = 0;
      for (; j < c4; j += 4) {
        const p = o + (<usize>j << 2);
        const nv = f32x4.mul(f32x4.sub(v128.load(p), vmean), vinv);
        v128.store(p, f32x4.add(f32x4.mul(nv, v128.load(g + (<usize>j << 2))), v128.load(b + (<usize>j << 2))));
      }
      for (; j < cols; j++) {
        const p = o + (<usize>j << 2);
        store<f32>(p, (load<f32>(p) - mean) * inv * load<f32>(g + (<usize>j << 2)) + load<f32>(b + (<usize>j << 2)));
      }
    }
  }
}

// layerNormBackward: gradX = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂)), g = gradOut ⊙ γ, the statistics recomputed as the
// forward does (same two passes). gradX holds v = x (+ residual), then x̂, before the result (so it may alias x, not
// gradOut); 8 rows per chunk.
export function layerNormBackward(a: usize): void {
  const x = LayerNormBackward.x(a), res = LayerNormBackward.residual(a), gamma = LayerNormBackward.gamma(a);
  const go = LayerNormBackward.gradOut(a), gx = LayerNormBackward.gradX(a);
  const rows = LayerNormBackward.rows(a), cols = LayerNormBackward.cols(a), eps = LayerNormBackward.eps(a);
  const chunks = (rows + 7) >> 3, c4 = cols & ~3;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    for (let r = c << 3, r1 = min(rows, r + 8); r < r1; r++) {
      const off = <usize>r * cols << 2;
      const gr = go + off, o = gx + off;
      const st = rowMeanRstd(x + off, res, res + off, o, cols, eps);
      const mean = f32x4.extract_lane(st, 0), vmean = f32x4.splat(mean);
      const rstd = f32x4.extract_lane(st, 1), vr = f32x4.splat(rstd);
      // x̂ into gradX; Σ g and Σ g·x̂
      let sg = f32x4.splat(0), sgx = sg;
      let j = 0;
      for (; j < c4; j += 4) {
        const p = o + (<usize>j << 2);
        const xh = f32x4.mul(f32x4.sub(v128.load(p), vmean), vr);
        const g = f32x4.mul(v128.load(gr + (<usize>j << 2)), v128.load(gamma + (<usize>j << 2)));
        v128.store(p, xh);
        sg = f32x4.add(sg, g);
        sgx = f32x4.add(sgx, f32x4.mul(g, xh));
      }
      let mg = hsum(sg), mgx = hsum(sgx);
      for (; j < cols; j++) {
        const p = o + (<usize>j << 2);
        const xh = (load<f32>(p) - mean) * rstd, g = load<f32>(gr + (<usize>j << 2)) * load<f32>(gamma + (<usize>j << 2));
        store<f32>(p, xh);
        mg += g; mgx += g * xh;
      }
      mg /= <f32>cols; mgx /= <f32>cols;
      const vmg = f32x4.splat(mg), vmgx = f32x4.splat(mgx);
      for (j = 0; j < c4; j += 4) {
        const p = o + (<usize>j << 2);
        const g = f32x4.mul(v128.load(gr + (<usize>j << 2)), v128.load(gamma + (<usize>j << 2)));
        v128.store(p, f32x4.mul(vr, f32x4.sub(f32x4.sub(g, vmg), f32x4.mul(v128.load(p), vmgx))));
      }
      for (; j < cols; j++) {
        const p = o + (<usize>j << 2);
        const g = load<f32>(gr + (<usize>j << 2)) * load<f32>(gamma + (<usize>j << 2));
        store<f32>(p, rstd * (g - mg - load<f32>(p) * mgx));
      }
    }
  }
}

/**
 * The row statistics of layerNorm and layerNormBackward: v = x (+ residual, when res ≠ 0) from xr (rr) into o, then
 * (mean, rstd = 1/√(var + eps)) of v in lanes 0 and 1, biased variance in two passes (o may alias xr).
 */
@inline function rowMeanRstd(xr: usize, res: usize, rr: usize, o: usize, cols: i32, eps: f32): v128 {
  const c4 = cols & ~3;
  let s = f32x4.splat(0);
  let j = 0;
  for (; j < c4; j += 4) {
    let v = v128.load(xr + (<usize>j << 2));
    if (res != 0) v = f32x4.add(v, v128.load(rr + (<usize>j << 2)));
    v128.store(o + (<usize>j << 2), v);
    s = f32x4.add(s, v);
  }
  let sum = hsum(s);
  for (; j < cols; j++) {
    let v = load<f32>(xr + (<usize>j << 2));
    if (res != 0) v += load<f32>(rr + (<usize>j << 2));
    store<f32>(o + (<usize>j << 2), v);
    sum += v;
  }
  const mean = sum / <f32>cols, vmean = f32x4.splat(mean);
  s = f32x4.splat(0);
  for (j = 0; j < c4; j += 4) {
    const dv = f32x4.sub(v128.load(o + (<usize>j << 2)), vmean);
    s = f32x4.add(s, f32x4.mul(dv, dv));
  }
  let vs = hsum(s);
  for (; j < cols; j++) { const dv = load<f32>(o + (<usize>j << 2)) - mean; vs += dv * dv; }
  const rstd: f32 = 1 / Mathf.sqrt(vs / <f32>cols + eps);
  return f32x4(mean, rstd, 0, 0);
}
