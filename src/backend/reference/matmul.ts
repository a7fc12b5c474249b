// matmul (reference): out = alpha·op(a)·op(b) (+ out), float64 sums rounded once.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const matmul: Kernel<"matmul", RefContext> = {
  run(b, { a, b: bb, out, m, n, k, transA, transB, alpha, accumulate }) {
    const A = b.f32(a), B = b.f32(bb), O = b.f32(out);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let t = 0; t < k; t++) acc += (transA ? A[t * m + i] : A[i * k + t]) * (transB ? B[j * k + t] : B[t * n + j]);
        O[i * n + j] = alpha * acc + (accumulate ? O[i * n + j] : 0);
      }
    }
  },
};
