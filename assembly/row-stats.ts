// rowStats: per row of x [rows, cols], (max|x|, mean, Σ(x−mean)², Σ(x−mean)⁴) → out [rows, 4], for the GERM
// outlier metrics (kurtosis, ∞-norm). Two passes over the row, so the moments are centred on the exact f32 mean.
import { claim, COUNTER } from "./sched";
import { RowStats } from "./generated/args";
import { hsum } from "./vec";

export function rowStats(a: usize): void {
  const x = RowStats.x(a), out = RowStats.out(a), rows = RowStats.rows(a), cols = RowStats.cols(a);
  const chunks = (rows + 7) >> 3, c4 = cols & ~3;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    for (let r = c << 3, r1 = min(rows, r + 8); r < r1; r++) {
      const xr = x + (<usize>r * cols << 2);
      let s = f32x4.splat(0), vm = f32x4.splat(0);
      let j = 0;
      for (; j < c4; j += 4) {
        const v = v128.load(xr + (<usize>j << 2));
        s = f32x4.add(s, v);
        vm = f32x4.pmax(vm, f32x4.abs(v));
      }
      let sum = hsum(s);
      let inf = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
      for (; j < cols; j++) { const v = load<f32>(xr + (<usize>j << 2)); sum += v; inf = max(inf, abs(v)); }
      const mean = sum / <f32>cols, vmean = f32x4.splat(mean);
      let s2 = f32x4.splat(0), s4 = f32x4.splat(0);
      for (j = 0; j < c4; j += 4) {
        const d = f32x4.sub(v128.load(xr + (<usize>j << 2)), vmean), d2 = f32x4.mul(d, d);
        s2 = f32x4.add(s2, d2);
        s4 = f32x4.add(s4, f32x4.mul(d2, d2));
      }
      let m2 = hsum(s2), m4 = hsum(s4);
      for (; j < cols; j++) { const d = load<f32>(xr + (<usize>j << 2)) - mean, d2 = d * d; m2 += d2; m4 += d2 * d2; }
      const o = out + (<usize>r << 4);
      store<f32>(o, inf); store<f32>(o, mean, 4); store<f32>(o, m2, 8); store<f32>(o, m4, 12);
    }
  }
}
