// lora (reference): v = scale · x·aᵀ per row in float64, then out += v·bt in float64, rounded once to f32.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const lora: Kernel<"lora", RefContext> = {
  run(b, { x, a, bt, out, row0, rows, n, k, r, scale }) {
    const X = b.f32(x), A = b.f32(a), BT = b.f32(bt), O = b.f32(out);
    const v = new Float64Array(r);
    for (let i = row0; i < row0 + rows; i++) {
      for (let j = 0; j < r; j++) {
        let acc = 0;
        for (let t = 0; t < k; t++) acc += X[i * k + t] * A[j * k + t];
        v[j] = scale * acc;
      }
      for (let o = 0; o < n; o++) {
        let acc = O[i * n + o];
        for (let j = 0; j < r; j++) acc += v[j] * BT[j * n + o];
        O[i * n + o] = acc;
      }
    }
  },
};
