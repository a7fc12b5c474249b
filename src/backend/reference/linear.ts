// linear (reference): out = x·wᵀ + bias in float64, over the weight decoded by its format's reference decoder,
// so this is the oracle for every weight format.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const linear: Kernel<"linear", RefContext> = {
  run(b, { x, w, bias, out, m, n, k }) {
    const X = b.f32(x), W = b.weight(w, n, k), B = bias !== undefined ? b.f32(bias) : null, O = b.f32(out);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = B ? B[j] : 0;
        for (let t = 0; t < k; t++) acc += X[i * k + t] * W[j * k + t];
        O[i * n + j] = acc;
      }
    }
  },
};
