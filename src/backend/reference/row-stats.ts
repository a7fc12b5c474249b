// rowStats (reference): per row max|x|, mean, and the centred 2nd and 4th power sums, in float64.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const rowStats: Kernel<"rowStats", RefContext> = {
  run(b, { x, out, rows, cols, outRow }) {
    const X = b.f32(x), O = b.f32(out);
    for (let r = 0; r < rows; r++) {
      let mean = 0, inf = 0;
      for (let c = 0; c < cols; c++) { const v = X[r * cols + c]; mean += v; inf = Math.max(inf, Math.abs(v)); }
      mean /= cols;
      let m2 = 0, m4 = 0;
      for (let c = 0; c < cols; c++) { const d = X[r * cols + c] - mean, d2 = d * d; m2 += d2; m4 += d2 * d2; }
      O.set([inf, mean, m2, m4], 4 * (outRow + r));
    }
  },
};
