// axpy (reference): out = alpha·x + y in float64, rounded once to f32.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const axpy: Kernel<"axpy", RefContext> = {
  run(b, { x, y, out, size, alpha }) {
    const X = b.f32(x), Y = b.f32(y), O = b.f32(out);
    for (let i = 0; i < size; i++) O[i] = alpha * X[i] + Y[i];
  },
};
